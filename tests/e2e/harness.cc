#include "harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "dnsmasq.h"  // FreePort
#include "netns.h"    // Shell

namespace netsnap::e2e {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr milliseconds kStartLimit = seconds(60);  // an ASan daemon opening a store
constexpr milliseconds kCliLimit = seconds(60);

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> v;
  for (const std::string& a : args) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

int ExitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

// Waits up to `limit` for pid; kills it when it is still running then. Returns the exit status.
int WaitChild(pid_t pid, milliseconds limit) {
  auto end = Clock::now() + limit;
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return ExitStatus(status);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

}  // namespace

bool WaitFor(const std::function<bool()>& pred, milliseconds limit) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return pred();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string KernelSource(const std::string& name, const std::string& netns_path,
                         const std::string& extra) {
  return "[[source]]\nname = \"" + name + "\"\nkind = \"kernel\"\nnetns = \"" + netns_path +
         "\"\n" + extra + "\n";
}

std::string ResolverSource(const std::string& name, const std::string& format,
                           const std::string& path, const std::string& extra) {
  return "[[source]]\nname = \"" + name + "\"\nkind = \"resolver\"\nformat = \"" + format +
         "\"\npath = \"" + path + "\"\n" + extra + "\n";
}

std::string WriteResolvConf(const Snapshotd& d, const std::string& text) {
  std::filesystem::create_directories(d.dir().Sub("etc"));
  std::string path = d.dir().Sub("etc/resolv.conf");
  WriteFile(path, text);
  return path;
}

int64_t StartKernelAndResolver(Snapshotd* d, const std::string& netns_path, std::string* resolv) {
  *resolv = WriteResolvConf(*d);
  d->Configure(KernelSource("k", netns_path) + ResolverSource("r", "resolv.conf", *resolv));
  if (!d->Start()) return 0;
  boost::json::value first =
      d->WaitForVersion("k", [](const boost::json::object&) { return true; });
  EXPECT_TRUE(first.is_object()) << "no first version of k";
  return first.is_object() ? first.at("version").to_number<int64_t>() : 0;
}

const char* CliPath() {
  const char* p = std::getenv("NETSNAP_CLI");
  return p ? p : "netsnap";
}

const char* SnapshotdPath() {
  const char* p = std::getenv("NETSNAP_SNAPSHOTD");
  return p ? p : "snapshotd";
}

std::vector<std::string> RouteLines(const std::string& netns, const std::string& args) {
  std::string out;
  netsnap::testing::Shell("ip -n " + netns + " route show " + args + " 2>&1", &out);
  std::vector<std::string> lines;
  std::stringstream ss(out);
  for (std::string l; std::getline(ss, l);) {
    while (!l.empty() && l.back() == ' ') l.pop_back();
    lines.push_back(l);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

Snapshotd::Snapshotd() : port_(netsnap::testing::FreePort()) {
  WriteFile(token_file(),
            std::string(kOperatorToken) + " operator alice\n" + kViewerToken + " viewer victor\n");
  chmod(token_file().c_str(), 0600);
  Configure("");
}

Snapshotd::~Snapshotd() { Kill9(); }

void Snapshotd::Configure(const std::string& body, const std::string& daemon_extra) {
  WriteFile(config_path(), "[daemon]\ndata_dir = \"" + dir_.Sub("data") +
                               "\"\nlisten = \"127.0.0.1:" + std::to_string(port_) +
                               "\"\nsocket = \"" + dir_.Sub("api.sock") + "\"\ntoken_file = \"" +
                               token_file() + "\"\n" + daemon_extra + "\n" + body);
}

pid_t Snapshotd::Spawn(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {SnapshotdPath(), "--config", config_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string log = log_path();
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string var(*e);
    if (!env_.contains(var.substr(0, var.find('=')))) env.push_back(std::move(var));
  }
  for (const auto& [name, value] : env_) env.push_back(name + "=" + value);
  // Built before fork: the child only calls what is safe between fork and exec.
  std::vector<char*> argv_p = Argv(argv), env_p = Argv(env);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test, even when it crashes
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int null = open("/dev/null", O_RDONLY);
    if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
      _exit(126);
    }
    execve(argv_p[0], argv_p.data(), env_p.data());
    _exit(127);
  }
  return pid;
}

bool Snapshotd::Start(const std::vector<std::string>& args, std::optional<uint16_t> port) {
  Kill9();
  last_args_ = args;
  pid_ = Spawn(args);
  uint16_t p = port.value_or(port_);
  auto end = Clock::now() + kStartLimit;
  while (Clock::now() < end) {
    // Up: healthy (200), or degraded (503) with every source past "starting".
    HttpReply h = HttpRequest(p, "GET", "/v1/health", kOperatorToken);
    if (h.status == 200) return true;
    if (h.status == 503 && h.Json().is_object() &&
        h.body.find("\"state\":\"starting\"") == std::string::npos) {
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      ADD_FAILURE() << "snapshotd exited with " << ExitStatus(status) << ":\n" << Log();
      return false;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  ADD_FAILURE() << "snapshotd did not answer /v1/health on port " << p << ":\n" << Log();
  return false;
}

int Snapshotd::StartExpectingExit(const std::vector<std::string>& args) {
  Kill9();
  pid_ = Spawn(args);
  return Reap(kStartLimit);
}

int Snapshotd::Reap(milliseconds limit) {
  if (pid_ <= 0) return -1;
  int rc = WaitChild(pid_, limit);
  pid_ = 0;
  return rc;
}

int Snapshotd::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return Reap(seconds(60));
}

void Snapshotd::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(seconds(60));
}

HttpReply Snapshotd::Get(const std::string& target, const std::string& token) const {
  return HttpRequest(port_, "GET", target, token);
}

HttpReply Snapshotd::Post(const std::string& target, const std::string& body,
                          const std::map<std::string, std::string>& headers,
                          const std::string& token) const {
  return HttpRequest(port_, "POST", target, token, body, headers);
}

HttpReply Snapshotd::Put(const std::string& target, const std::string& body) const {
  return HttpRequest(port_, "PUT", target, kOperatorToken, body);
}

json::value Snapshotd::GetJson(const std::string& target) const {
  HttpReply r = Get(target);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  return r.status == 200 ? r.Json() : json::value(nullptr);
}

json::value Snapshotd::Latest(const std::string& source) const {
  HttpReply r = Get("/v1/sources/" + source + "/versions?limit=1");
  json::value v = r.Json();
  if (r.status != 200 || !v.is_object()) return nullptr;
  const json::array& list = v.at("versions").as_array();
  return list.empty() ? json::value(nullptr) : list.front();
}

json::value Snapshotd::WaitForVersion(const std::string& source,
                                      const std::function<bool(const json::object&)>& pred,
                                      milliseconds limit) const {
  json::value found;
  WaitFor(
      [&] {
        json::value v = Latest(source);
        if (v.is_object() && pred(v.as_object())) found = v;
        return found.is_object();
      },
      limit);
  return found;
}

json::array Snapshotd::Events(const std::string& type, const std::string& source,
                              int64_t after) const {
  json::array all;
  for (int page = 0; page < 100; ++page) {
    std::string q = "/v1/events?limit=1000&after=" + std::to_string(after);
    if (!type.empty()) q += "&type=" + Escape(type);
    if (!source.empty()) q += "&source=" + Escape(source);
    json::value v = Get(q).Json();
    if (!v.is_object()) break;
    const json::array& events = v.at("events").as_array();
    for (const json::value& e : events) all.push_back(e);
    int64_t last = v.at("last_id").is_null() ? after : v.at("last_id").to_number<int64_t>();
    if (events.empty() || last == after) break;
    after = last;
  }
  return all;
}

json::value Snapshotd::WaitForEvent(const std::string& type,
                                    const std::function<bool(const json::object&)>& pred,
                                    milliseconds limit) const {
  json::value found;
  WaitFor(
      [&] {
        for (const json::value& e : Events(type)) {
          if (pred(e.as_object())) {
            found = e;
            return true;
          }
        }
        return false;
      },
      limit);
  return found;
}

int64_t Snapshotd::LastEventId() const {
  json::array all = Events("");
  return all.empty() ? 0 : all.back().at("id").to_number<int64_t>();
}

CliResult Snapshotd::Cli(const std::vector<std::string>& args, const std::string& input,
                         const std::string& tokens) const {
  std::vector<std::string> argv = {CliPath(), "--server", url(), "--token-file",
                                   tokens.empty() ? token_file() : tokens};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string in = dir_.Sub("cli.in"), out = dir_.Sub("cli.out"), err = dir_.Sub("cli.err");
  WriteFile(in, input);
  CliResult result;
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int i = open(in.c_str(), O_RDONLY), o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
        e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (i < 0 || o < 0 || e < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
    unsetenv("NETSNAP_TOKEN");
    execv(argv[0].c_str(), Argv(argv).data());
    _exit(127);
  }
  result.exit_code = WaitChild(pid, kCliLimit);
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

CliResult Snapshotd::CliOnTerminal(const std::vector<std::string>& args,
                                   const std::string& answer) const {
  std::vector<std::string> argv = {CliPath(), "--server", url(), "--token-file", token_file()};
  argv.insert(argv.end(), args.begin(), args.end());
  CliResult result;
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    unsetenv("NETSNAP_TOKEN");
    execv(argv[0].c_str(), Argv(argv).data());
    _exit(127);
  }
  if (pid < 0) return result;
  auto end = Clock::now() + kCliLimit;
  bool answered = false;
  while (Clock::now() < end) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO: the child closed the terminal
    result.out.append(buf, static_cast<size_t>(n));
    if (!answered && result.out.find("[y/N]") != std::string::npos) {
      std::string line = answer + "\n";
      if (write(master, line.data(), line.size()) < 0) break;
      answered = true;
    }
  }
  close(master);
  result.exit_code = WaitChild(pid, seconds(5));
  return result;
}

}  // namespace netsnap::e2e
