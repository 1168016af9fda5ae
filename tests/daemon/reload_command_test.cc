// The reload command's child: what it inherits from a daemon (descriptors, signal mask and
// dispositions, environment) and that nothing of it outlives the command or its time limit.
#include "sources/resolver/reload_command.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "support/temp_dir.h"

namespace netsnap {
namespace {

// True once process `pid` is gone or a zombie: SIGKILL is delivered asynchronously.
bool WaitDead(pid_t pid) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return true;
    size_t paren = text.rfind(')');
    if (paren != std::string::npos && text.size() > paren + 2 && text[paren + 2] == 'Z') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// What a daemon hands down unless told otherwise: descriptors without O_CLOEXEC (a listening
// socket, a file), stop signals blocked, SIGPIPE ignored, secrets in the environment.
class DaemonLikeParent {
 public:
  DaemonLikeParent() {
    file_ = open("/dev/null", O_RDONLY);
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listener_, 1);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old_mask_);
    old_pipe_ = signal(SIGPIPE, SIG_IGN);
    old_usr1_ = signal(SIGUSR1, SIG_IGN);
    setenv("NETSNAP_TEST_SECRET", "hunter2", 1);
  }
  ~DaemonLikeParent() {
    unsetenv("NETSNAP_TEST_SECRET");
    signal(SIGUSR1, old_usr1_);
    signal(SIGPIPE, old_pipe_);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    close(listener_);
    close(file_);
  }

 private:
  int file_, listener_;
  sigset_t old_mask_;
  sighandler_t old_pipe_, old_usr1_;
};

TEST(ReloadCommand, ChildInheritsNothingFromTheDaemon) {
  DaemonLikeParent parent;
  // `$$` is the shell that runs the command: what it holds is what the command got. The report
  // comes back as the output of a failed command, because a redirection or a pipe in the shell
  // would hold descriptors of its own (dash keeps the old stdout at 10). The signal lines come
  // first and from builtins only: once dash has run a command it blocks every signal around each
  // vfork and clears its mask after, so a later look at /proc/$$/status could see dash's own
  // transient mask (fffffffe7ffbfeff, seen in CI) or an empty one whatever the daemon passed on.
  Status s = RunReloadCommand(
      "echo; while read -r l; do case $l in Sig[BI][lg][kn]:*) echo \"$l\";; esac; "
      "done </proc/self/status; ls /proc/$$/fd; env; exit 1",
      10000);
  ASSERT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  std::set<std::string> fds, rest;
  std::istringstream lines(s.message());
  std::string line;
  std::getline(lines, line);  // "reload command failed (exit status 1): COMMAND: "
  while (std::getline(lines, line))
    (std::isdigit(static_cast<unsigned char>(line[0])) ? fds : rest).insert(line);
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"}));
  rest.erase("PWD=" + std::filesystem::current_path().string());  // the shell sets it itself
  EXPECT_EQ(rest, (std::set<std::string>{"SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000",
                                         "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}));
}

TEST(ReloadCommand, FailureNamesStatusAndOutput) {
  Status s = RunReloadCommand("echo 'not reloaded'; exit 3", 10000);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("exit status 3"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("not reloaded"), std::string::npos) << s.ToString();
}

TEST(ReloadCommand, TimeoutKillsTheWholeGroup) {
  testing::TempDir dir;
  Status s = RunReloadCommand("sleep 600 & echo $! > " + dir.Sub("pid") + "; sleep 600", 300);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  pid_t background = ReadPid(dir.Sub("pid"));
  ASSERT_GT(background, 0);
  EXPECT_TRUE(WaitDead(background));
}

TEST(ReloadCommand, NothingOutlivesACommandThatFinished) {
  testing::TempDir dir;
  Status s = RunReloadCommand("sleep 600 & echo $! > " + dir.Sub("pid"), 10000);
  EXPECT_TRUE(s.ok()) << s.ToString();
  pid_t background = ReadPid(dir.Sub("pid"));
  ASSERT_GT(background, 0);
  EXPECT_TRUE(WaitDead(background));
}

}  // namespace
}  // namespace netsnap
