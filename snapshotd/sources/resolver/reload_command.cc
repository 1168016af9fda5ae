#include "sources/resolver/reload_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace netsnap {

namespace {

// The child's whole environment: the daemon's (tokens' paths, NOTIFY_SOCKET, LD_* set by whoever
// started it) is none of the command's business.
constexpr const char* kEnvironment[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", nullptr};

constexpr size_t kMaxOutput = 1024;

// Everything the child needs, made before fork: between fork and exec only async-signal-safe
// calls may run, because the daemon is multi-threaded and another thread may hold malloc's lock.
struct ChildPlan {
  const char* argv[4];
  sigset_t empty_mask;
  int devnull;
  int out;
  int max_fd;  // for the close loop when close_range is missing
};

// Runs in the child after fork; never returns.
[[noreturn]] void ExecChild(const ChildPlan& p) {
  setpgid(0, 0);
  // Default dispositions for every signal (the daemon ignores SIGPIPE), then an empty mask (the
  // daemon blocks SIGTERM and SIGINT in every thread, and the mask survives exec).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  // Refused for SIGKILL, SIGSTOP and glibc's internal signals, harmlessly.
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigprocmask(SIG_SETMASK, &p.empty_mask, nullptr);
  if (dup2(p.devnull, 0) < 0 || dup2(p.out, 1) < 0 || dup2(p.out, 2) < 0) _exit(127);
  // Nothing above 2 survives: not the API's listening socket, the store's files or a journal fd.
  if (close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < p.max_fd; ++fd) close(fd);
  }
  execve("/bin/sh", const_cast<char* const*>(p.argv), const_cast<char* const*>(kEnvironment));
  _exit(127);
}

enum class Read { kData, kIdle, kEnd };

// Reads what the child wrote, keeping the first kMaxOutput bytes; waits at most `wait_ms`.
Read ReadOutput(int fd, int wait_ms, std::string* output) {
  struct pollfd pfd = {fd, POLLIN, 0};
  if (poll(&pfd, 1, wait_ms) <= 0) return Read::kIdle;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0 && output->size() < kMaxOutput) output->append(buf, static_cast<size_t>(n));
  return n > 0 ? Read::kData : n == 0 ? Read::kEnd : Read::kIdle;
}

// True once `pid` has exited; it stays a zombie (not reaped), so its pid, which is also its
// process group's id, cannot be reused before the group is killed.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

}  // namespace

Status RunReloadCommand(const std::string& command, int64_t timeout_ms) {
  ChildPlan plan{{"sh", "-c", command.c_str(), nullptr}, {}, -1, -1, 0};
  sigemptyset(&plan.empty_mask);
  struct rlimit nofile {};
  plan.max_fd = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY
                    ? static_cast<int>(std::min<rlim_t>(nofile.rlim_cur, 1 << 20))
                    : 1 << 16;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }
  plan.out = pipefd[1];
  plan.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (plan.devnull < 0) {
    Status s = Status::IOError(std::string("/dev/null: ") + std::strerror(errno));
    close(pipefd[0]);
    close(pipefd[1]);
    return s;
  }
  pid_t pid = fork();
  if (pid == 0) ExecChild(plan);
  int fork_errno = errno;
  close(pipefd[1]);
  close(plan.devnull);
  if (pid < 0) {
    close(pipefd[0]);
    return Status::IOError(std::string("fork: ") + std::strerror(fork_errno));
  }
  setpgid(pid, pid);  // also from the parent, so the group exists before any kill
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string output;
  bool open = true;
  bool timed_out = false;
  while (!HasExited(pid)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    int wait_ms = static_cast<int>(std::min<int64_t>(left, open ? 50 : 10));
    if (open) {
      open = ReadOutput(pipefd[0], wait_ms, &output) != Read::kEnd;
    } else {
      poll(nullptr, 0, wait_ms);
    }
  }
  // The command's whole group goes, whether it finished or not: a background child it left
  // behind would otherwise run on with no limit.
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // What it wrote just before it exited.
  while (open && output.size() < kMaxOutput && ReadOutput(pipefd[0], 0, &output) == Read::kData) {
  }
  close(pipefd[0]);
  if (timed_out) {
    return Status::Unavailable("reload command timed out after " + std::to_string(timeout_ms) +
                               " ms and was killed: " + command);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "killed by signal " + std::to_string(WTERMSIG(status));
  if (output.size() > kMaxOutput) output.resize(kMaxOutput);
  return Status::IOError("reload command failed (" + how + "): " + command +
                         (output.empty() ? "" : ": " + output));
}

}  // namespace netsnap
