// Log records rendered as text, JSON and journald datagrams, and the sinks that write them to a
// real pipe and a real Unix datagram socket: no message content may break a line, a field or a
// record.
#include "core/log_format.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <map>

#include "core/log_sinks.h"
#include "core/logging.h"
#include "support/temp_dir.h"

namespace netsnap {
namespace {

// Everything a URL can smuggle into a name once percent-decoded.
const std::string kHostile =
    "x\n2026-01-01T00:00:00Z critical [1] forged\r\"}{\"level\":\"critical\"\x1b[31m\x7f"
    "\xc2\x85\xff\xfe\xc0\xaf\xed\xa0\x80\xe2\x82\\\tEVENT=forged\n";

LogRecord Hostile() {
  LogRecord r;
  r.time_ns = 1796083020123456789;
  r.level = spdlog::level::warn;
  r.thread = 42;
  r.message = kHostile;
  r.fields = {kHostile, "audit"};
  return r;
}

TEST(Utf8, InvalidBytesAreReplacedAndValidTextKept) {
  EXPECT_EQ(ToValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(ToValidUtf8("a\xff"), "a" + fffd);
  EXPECT_EQ(ToValidUtf8("\xc0\xaf"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), fffd + fffd + fffd);             // surrogate
  EXPECT_EQ(ToValidUtf8("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(ToValidUtf8("\xe2\x82"), fffd + fffd);                        // cut short
}

TEST(TextEscape, ControlsBecomeEscapes) {
  EXPECT_EQ(EscapeForText("a\nb\rc\td\x1b[31m\\e\x7f\xc2\x85\xff\xc3\xa9"),
            "a\\nb\\rc\\td\\x1b[31m\\\\e\\x7f\\u0085\\xff\xc3\xa9");
}

TEST(TextEscape, QuotedNamesEscapeTheirQuotes) {
  EXPECT_EQ(QuoteName("a\"b\\c\x7f\n"), "\"a\\\"b\\\\c\\x7f\\n\"");
}

TEST(TextEscape, NoByteSequenceLeavesAControlCharacter) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      std::string in{static_cast<char>(a), static_cast<char>(b), '\x85'};
      std::string out = EscapeForText(in);
      for (size_t i = 0; i < out.size(); ++i) {
        auto c = static_cast<unsigned char>(out[i]);
        ASSERT_FALSE(c < 0x20 || c == 0x7F) << a << " " << b;
        ASSERT_FALSE(c == 0xC2 && i + 1 < out.size() &&
                     static_cast<unsigned char>(out[i + 1]) < 0xA0)
            << a << " " << b;
      }
      ASSERT_EQ(ToValidUtf8(out), out);
    }
  }
}

TEST(TextLine, OneLineWithTheNameQuoted) {
  std::string line = FormatTextLine(Hostile());
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line.rfind("2026-11-30T23:57:00.123456789Z warning [42] x\\n2026", 0), 0u) << line;
  // The source is one JSON string: its quotes are escaped, so it cannot end early.
  EXPECT_NE(line.find(" source=\"x\\n2026-01-01T00:00:00Z critical [1] forged\\r\\\"}{\\\""),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(" event=\"audit\"\n"), std::string::npos) << line;
}

TEST(JsonLine, ParsesWithEveryField) {
  std::string line = FormatJsonLine(Hostile());
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  const auto& o = v.as_object();
  EXPECT_EQ(o.size(), 6u) << line;
  EXPECT_EQ(o.at("time").as_string(), "2026-11-30T23:57:00.123456789Z");
  EXPECT_EQ(o.at("level").as_string(), "warning");
  EXPECT_EQ(o.at("thread").to_number<uint64_t>(), 42u);
  EXPECT_EQ(o.at("message").as_string(), ToValidUtf8(kHostile));
  EXPECT_EQ(o.at("source").as_string(), ToValidUtf8(kHostile));
  EXPECT_EQ(o.at("event").as_string(), "audit");
}

TEST(JsonLine, FieldsOnlyWhenGiven) {
  LogRecord r;
  r.message = "plain";
  boost::json::value v = boost::json::parse(FormatJsonLine(r));
  EXPECT_FALSE(v.as_object().contains("source"));
  EXPECT_FALSE(v.as_object().contains("event"));
}

// Splits a datagram of journald's native protocol back into fields; fails the test on a
// malformed one.
std::multimap<std::string, std::string> ParseJournal(std::string_view d) {
  std::multimap<std::string, std::string> fields;
  while (!d.empty()) {
    size_t end = d.find_first_of("=\n");
    if (end == std::string_view::npos) {
      ADD_FAILURE() << "field without end";
      break;
    }
    std::string name(d.substr(0, end));
    if (d[end] == '=') {
      size_t nl = d.find('\n', end);
      fields.emplace(name, d.substr(end + 1, nl - end - 1));
      d.remove_prefix(nl + 1);
      continue;
    }
    d.remove_prefix(end + 1);
    if (d.size() < 8) {
      ADD_FAILURE() << "short length";
      break;
    }
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t(static_cast<unsigned char>(d[i])) << (8 * i);
    d.remove_prefix(8);
    if (d.size() < n + 1 || d[n] != '\n') {
      ADD_FAILURE() << "bad binary value";
      break;
    }
    fields.emplace(name, d.substr(0, n));
    d.remove_prefix(n + 1);
  }
  return fields;
}

TEST(Journal, BinaryFieldsCarryAnyBytesAndNoTime) {
  auto f = ParseJournal(FormatJournalDatagram(Hostile(), "snapshotd"));
  EXPECT_EQ(f.size(), 6u);
  EXPECT_EQ(f.find("MESSAGE")->second, kHostile);
  EXPECT_EQ(f.find("SOURCE")->second, kHostile);
  EXPECT_EQ(f.count("EVENT"), 1u);
  EXPECT_EQ(f.find("EVENT")->second, "audit");
  EXPECT_EQ(f.find("PRIORITY")->second, "4");
  EXPECT_EQ(f.find("SYSLOG_IDENTIFIER")->second, "snapshotd");
  EXPECT_EQ(f.find("TID")->second, "42");
}

TEST(Journal, PrioritiesFollowSyslog) {
  EXPECT_EQ(SyslogPriority(spdlog::level::critical), 2);
  EXPECT_EQ(SyslogPriority(spdlog::level::err), 3);
  EXPECT_EQ(SyslogPriority(spdlog::level::warn), 4);
  EXPECT_EQ(SyslogPriority(spdlog::level::info), 6);
  EXPECT_EQ(SyslogPriority(spdlog::level::debug), 7);
  EXPECT_EQ(SyslogPriority(spdlog::level::trace), 7);
}

TEST(Journal, LongMessageIsCutToFitADatagram) {
  LogRecord r;
  std::string big(1 << 20, 'a');
  r.message = big;
  auto f = ParseJournal(FormatJournalDatagram(r, "snapshotd"));
  EXPECT_LT(f.find("MESSAGE")->second.size(), 70u * 1024);
}

// A logger with one sink as the default logger for the test's duration.
class DefaultLogger {
 public:
  explicit DefaultLogger(spdlog::sink_ptr sink) : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("test", std::move(sink));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~DefaultLogger() { spdlog::set_default_logger(previous_); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(JournalSink, SendsToARealSocketWithFields) {
  testing::TempDir dir;
  std::string path = dir.Sub("journal.sock");
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  {
    DefaultLogger use(std::make_shared<JournalSink>(path, "snapshotd"));
    LogEvent(spdlog::level::err, {"main", "detection"}, kHostile);
  }
  // sendto returned after queueing the datagram, so it is there now.
  char buf[65536];
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  close(fd);
  ASSERT_GT(n, 0);
  auto f = ParseJournal(std::string_view(buf, static_cast<size_t>(n)));
  EXPECT_EQ(f.find("MESSAGE")->second, kHostile);
  EXPECT_EQ(f.find("PRIORITY")->second, "3");
  EXPECT_EQ(f.find("SOURCE")->second, "main");
  EXPECT_EQ(f.find("EVENT")->second, "detection");
}

// Runs `fn` with stderr on a pipe and returns what was written to it.
template <typename Fn>
std::string CaptureStderr(Fn fn) {
  int p[2];
  if (pipe(p) != 0) return "";
  int saved = dup(STDERR_FILENO);
  dup2(p[1], STDERR_FILENO);
  close(p[1]);
  fn();
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(p[0]);
  return out;
}

TEST(JournalSink, WithoutJournaldTheRecordGoesToStderr) {
  testing::TempDir dir;
  std::string out = CaptureStderr([&] {
    DefaultLogger use(std::make_shared<JournalSink>(dir.Sub("absent.sock"), "snapshotd"));
    spdlog::warn("kept {}", 1);
  });
  EXPECT_NE(out.find(" warning ["), std::string::npos) << out;
  EXPECT_NE(out.find("] kept 1\n"), std::string::npos) << out;
}

TEST(LineSink, JsonLinesParseWhateverIsLogged) {
  std::string out = CaptureStderr([&] {
    DefaultLogger use(std::make_shared<LineSink>(STDERR_FILENO, LineSink::Format::kJson));
    LogEvent(spdlog::level::info, {kHostile, "audit"}, kHostile);
    spdlog::error("{}", kHostile);
  });
  size_t lines = 0;
  for (size_t start = 0; start < out.size(); ++lines) {
    size_t end = out.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(out.substr(start, end - start), ec);
    ASSERT_FALSE(ec) << out.substr(start, end - start);
    EXPECT_EQ(v.at("message").as_string(), ToValidUtf8(kHostile));
    start = end + 1;
  }
  EXPECT_EQ(lines, 2u);
}

TEST(Journald, StderrMatchesOnlyItsOwnDeviceAndInode) {
  struct stat st {};
  ASSERT_EQ(fstat(STDERR_FILENO, &st), 0);
  const char* old = std::getenv("JOURNAL_STREAM");
  std::string saved = old ? old : "";
  std::string own = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  setenv("JOURNAL_STREAM", own.c_str(), 1);
  EXPECT_TRUE(StderrIsJournal());
  setenv("JOURNAL_STREAM",
         (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_FALSE(StderrIsJournal());  // a stream inherited from elsewhere
  setenv("JOURNAL_STREAM", (own + "x").c_str(), 1);
  EXPECT_FALSE(StderrIsJournal());
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(StderrIsJournal());
  if (old) setenv("JOURNAL_STREAM", saved.c_str(), 1);
}

TEST(SetUp, BadLevelOrFormatIsNamed) {
  Status s = SetUpLogging("loud", "text");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("'loud'"), std::string::npos);
  s = SetUpLogging("info", "xml");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("'xml'"), std::string::npos);
  EXPECT_TRUE(SetUpLogging("debug", "json").ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
}

}  // namespace
}  // namespace netsnap
