#include "snapshotd_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace netsnap::testing {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::vector<char*> Pointers(std::vector<std::string>& v) {
  std::vector<char*> p;
  for (std::string& s : v) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

}  // namespace

std::string EnvPath(const char* name) {
  const char* v = std::getenv(name);
  if (!v)
    throw std::runtime_error(std::string("$") + name + " is not set (run through meson test)");
  return v;
}

NotifySocket::NotifySocket(std::string path) : path_(std::move(path)) {
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) Fail("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) throw std::runtime_error("notify path too long");
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Fail("bind " + path_);
}

NotifySocket::~NotifySocket() {
  close(fd_);
  unlink(path_.c_str());
}

std::string NotifySocket::Receive(std::chrono::milliseconds limit) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(limit.count())) <= 0) return "";
  char buf[4096];
  ssize_t n = recv(fd_, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

bool NotifySocket::WaitFor(const std::string& prefix, std::chrono::milliseconds limit,
                           std::string* message) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::string m = Receive(left);
    std::istringstream lines(m);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(prefix, 0) == 0) {
        if (message) *message = m;
        return true;
      }
    }
  }
  return false;
}

SnapshotdProcess::SnapshotdProcess(const std::vector<std::string>& args,
                                   const std::vector<std::string>& env, std::string log,
                                   const std::string& watchdog_usec)
    : log_(std::move(log)) {
  std::vector<std::string> argv = {EnvPath("SNAPSHOTD")};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ < 0) Fail("fork");
  if (pid_ == 0) {
    int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) _exit(120);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const std::string& e : env) putenv(strdup(e.c_str()));
    if (!watchdog_usec.empty()) {
      setenv("WATCHDOG_USEC", watchdog_usec.c_str(), 1);
      setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    }
    execv(argv[0].c_str(), Pointers(argv).data());
    _exit(121);
  }
}

SnapshotdProcess::~SnapshotdProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(30));
  }
}

void SnapshotdProcess::Signal(int sig) const { kill(pid_, sig); }

bool SnapshotdProcess::running() {
  if (status_ != -1) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

int SnapshotdProcess::Wait(std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (running()) {
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polls waitpid; no event exists
  }
  return status_;
}

std::string SnapshotdProcess::Log() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int RunBinary(const std::string& binary, const std::vector<std::string>& args, std::string* out) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) Fail("pipe");
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid < 0) Fail("fork");
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    execv(argv[0].c_str(), Pointers(argv).data());
    _exit(121);
  }
  close(pipefd[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  close(pipefd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (out) *out = text;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

HttpAnswer Call(int port, const std::string& method, const std::string& target,
                const std::string& token, const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.host = "127.0.0.1";
  req.port = std::to_string(port);
  req.target = target;
  req.body = body;
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  HttpLimits limits;
  limits.timeout = std::chrono::seconds(10);
  HttpAnswer answer;
  if (!HttpCall(req, limits, &answer).ok()) answer.status = 0;
  return answer;
}

void WriteFile(const std::string& path, const std::string& text, int mode) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  chmod(tmp.c_str(), static_cast<mode_t>(mode));
  if (rename(tmp.c_str(), path.c_str()) != 0) Fail("rename " + path);
}

}  // namespace netsnap::testing
