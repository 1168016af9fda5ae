// The real snapshotd binary under hostile requests: names decoded from URLs hold newlines,
// quotes, ESC and invalid UTF-8, and still every stderr line is one record of the chosen format
// (a JSON object, or a text line without control characters) and no line or field is forged.
// Also: a time out of range in a query is a 400 naming the parameter.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <fstream>
#include <regex>

#include "api/api_harness.h"
#include "core/log_format.h"
#include "support/temp_dir.h"

namespace netsnap::testing {
namespace {

// The name a request smuggles in, as the daemon sees it after percent-decoding.
const std::string kName =
    "x\n{\"level\":\"critical\",\"message\":\"FORGED\"}\r\n2026-01-01T00:00:00.000000000Z "
    "critical [1] FORGED\x1b[2J\xff\xfe\xc0\xaf\"FORGED=1\\\x01\x7f";

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// snapshotd as a child process with a resolver source on a file in a temp dir, its stderr on a
// pipe that the test reads.
class SnapshotdProcess {
 public:
  explicit SnapshotdProcess(const std::string& log_format) : port_(FreePort()) {
    std::ofstream(dir_.Sub("resolv.conf")) << "nameserver 192.0.2.1\n";
    std::ofstream(dir_.Sub("snapshotd.toml"))
        << "[daemon]\ndata_dir = \"" << dir_.Sub("data") << "\"\nsocket = \""
        << dir_.Sub("api.sock")
        << "\"\n"
        // The hostile calls must reach their handlers to be audited: loopback TCP is an operator.
        << "allow_loopback_operator = true\n"
        << "[[source]]\nname = \"main\"\nkind = \"resolver\"\nformat = \"resolv.conf\"\n"
        << "path = \"" << dir_.Sub("resolv.conf") << "\"\nread_only = true\n";
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> args = {std::getenv("SNAPSHOTD"),
                                     "--config",
                                     dir_.Sub("snapshotd.toml"),
                                     "--listen",
                                     listen,
                                     "--log-format",
                                     log_format,
                                     "--log-level",
                                     "debug"};
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(p[1], STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      unsetenv("JOURNAL_STREAM");
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(p[1]);
    err_ = p[0];
  }
  ~SnapshotdProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(err_);
  }

  uint16_t port() const { return port_; }

  // Reads stderr until it holds `text`; false at end of file or after 60 s.
  bool WaitFor(std::string_view text) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (output_.find(text) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      until - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || !ReadSome(static_cast<int>(left))) return false;
    }
    return true;
  }

  // Stops the daemon with SIGTERM and returns everything it wrote to stderr.
  std::string Stop() {
    kill(pid_, SIGTERM);
    while (ReadSome(60000)) {
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output_;
    return output_;
  }

 private:
  bool ReadSome(int timeout_ms) {
    struct pollfd pfd = {err_, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return false;
    char buf[65536];
    ssize_t n = read(err_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  TempDir dir_;
  uint16_t port_;
  pid_t pid_ = -1;
  int err_ = -1;
  std::string output_;
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  EXPECT_EQ(start, text.size()) << "the last line is not ended";
  return lines;
}

// Mutating calls that are audited with the name, and the same name as raw bytes in the target.
void SendHostileRequests(uint16_t port) {
  std::string name = PercentEncode(kName);
  for (std::string target : {"/v1/sources/" + name + "/snapshots", "/v1/sources/" + name + "/pause",
                             "/v1/sources/" + name + "/versions?since=" + name}) {
    std::string method = target.find("versions") != std::string::npos ? "GET" : "POST";
    HttpReply r = Http(port, method, target, method == "POST" ? "{}" : "");
    EXPECT_NE(r.status, 0) << target;
  }
  RawExchange(port, "POST /v1/sources/" + kName +
                        "/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n");
}

TEST(DaemonLog, JsonLinesParseAfterHostileRequests) {
  SnapshotdProcess d("json");
  ASSERT_TRUE(d.WaitFor("snapshotd ready"));
  SendHostileRequests(d.port());
  std::vector<std::string> lines = SplitLines(d.Stop());
  ASSERT_GT(lines.size(), 3u);
  const std::string repaired = ToValidUtf8(kName);
  int audited = 0;
  for (const std::string& line : lines) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(v.is_object()) << line;
    const boost::json::object& o = v.as_object();
    for (const auto& [key, value] : o) {
      EXPECT_TRUE(key == "time" || key == "level" || key == "thread" || key == "message" ||
                  key == "source" || key == "event")
          << "forged field '" << key << "' in " << line;
    }
    EXPECT_TRUE(o.at("message").is_string()) << line;
    EXPECT_TRUE(std::regex_match(std::string(o.at("level").as_string()),
                                 std::regex("trace|debug|info|warning|error|critical")))
        << line;
    // The name's content reaches a record only as that record's source.
    if (line.find("FORGED") != std::string::npos) {
      ASSERT_TRUE(o.contains("source")) << line;
      EXPECT_EQ(o.at("source").as_string(), repaired) << line;
    }
    if (o.contains("event") && o.at("event") == "audit" && o.contains("source") &&
        o.at("source").as_string() == repaired) {
      ++audited;
    }
  }
  EXPECT_GE(audited, 2) << "the hostile calls were not audited, so the test proves nothing";
}

TEST(DaemonLog, TextLinesHoldNoControlCharacters) {
  SnapshotdProcess d("text");
  ASSERT_TRUE(d.WaitFor("snapshotd ready"));
  SendHostileRequests(d.port());
  std::vector<std::string> lines = SplitLines(d.Stop());
  ASSERT_GT(lines.size(), 3u);
  const std::regex record(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (trace|debug|info|warning|error|critical) \[\d+\] .*)");
  const std::string quoted = " source=" + QuoteName(kName);
  int audited = 0;
  for (const std::string& line : lines) {
    for (char c : line) {
      auto b = static_cast<unsigned char>(c);
      ASSERT_FALSE(b < 0x20 || b == 0x7F) << "control character " << int(b) << " in " << line;
    }
    EXPECT_EQ(ToValidUtf8(line), line) << line;
    EXPECT_TRUE(std::regex_match(line, record)) << "not a record: " << line;
    if (line.find("FORGED") != std::string::npos) {
      EXPECT_NE(line.find(quoted), std::string::npos) << line;
    }
    if (line.find(" audit: ") != std::string::npos && line.find(quoted) != std::string::npos) {
      ++audited;
    }
  }
  EXPECT_GE(audited, 2) << "the hostile calls were not audited, so the test proves nothing";
}

// A 400 whose message names the parameter and says the time is out of range.
void ExpectOutOfRange(uint16_t port, const std::string& target, const std::string& param,
                      const std::string& value) {
  HttpReply r = Http(port, "GET", target);
  EXPECT_EQ(r.status, 400) << target << ": " << r.body;
  std::string message(r.json().at("error").at("message").as_string());
  EXPECT_NE(message.find(param), std::string::npos) << message;
  EXPECT_NE(message.find("time '" + value + "' is out of range"), std::string::npos) << message;
}

TEST(DaemonTime, OutOfRangeTimeIs400NamingIt) {
  SnapshotdProcess d("text");
  ASSERT_TRUE(d.WaitFor("snapshotd ready"));
  ExpectOutOfRange(d.port(), "/v1/sources/main/versions?since=-99999999d", "since", "-99999999d");
  ExpectOutOfRange(d.port(), "/v1/sources/main/versions?until=99999999999", "until", "99999999999");
  ExpectOutOfRange(d.port(), "/v1/events?since=9999-12-31T23:59:59Z", "since",
                   "9999-12-31T23:59:59Z");
  ExpectOutOfRange(d.port(), "/v1/sources/main/at/-106752d", "", "-106752d");
  // Inside the range it still works.
  EXPECT_EQ(Http(d.port(), "GET", "/v1/sources/main/versions?since=-106751d").status, 200);
  d.Stop();
}

}  // namespace
}  // namespace netsnap::testing
