#include "dnsmasq.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "netns.h"

extern char** environ;

namespace netsnap::testing {

using namespace std::chrono_literals;

bool HaveDnsmasq() {
  return access(kDnsmasq, X_OK) == 0 && Shell("command -v dig >/dev/null") == 0;
}

uint16_t FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      close(u);
      continue;
    }
    int t = socket(AF_INET, SOCK_STREAM, 0);
    int ok = bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a);
    close(t);
    close(u);
    if (ok == 0) return ntohs(a.sin_port);
  }
  ADD_FAILURE() << "no free port";
  return 0;
}

Dnsmasq::Dnsmasq(const std::string& conf, const std::string& log) {
  std::string arg = "--conf-file=" + conf;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  char* argv[] = {const_cast<char*>(kDnsmasq), const_cast<char*>("--keep-in-foreground"),
                  arg.data(), nullptr};
  if (posix_spawn(&pid_, kDnsmasq, &fa, nullptr, argv, environ) != 0) pid_ = 0;
  posix_spawn_file_actions_destroy(&fa);
}

Dnsmasq::~Dnsmasq() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(10ms);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

bool Dnsmasq::running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

std::string Query(const std::string& server, uint16_t port, const std::string& name) {
  std::string out;
  Shell("dig @" + server + " -p " + std::to_string(port) + " +time=1 +tries=1 " + name + " A 2>&1",
        &out);
  std::string status;
  size_t s = out.find("status: ");
  if (s != std::string::npos) status = out.substr(s + 8, out.find(',', s) - s - 8);
  if (status != "NOERROR") return "status: " + (status.empty() ? std::string("none") : status);
  std::string shortout;
  Shell("dig @" + server + " -p " + std::to_string(port) + " +time=1 +tries=1 +short " + name +
            " A 2>&1",
        &shortout);
  while (!shortout.empty() && shortout.back() == '\n') shortout.pop_back();
  return shortout;
}

std::string WaitForAnswer(uint16_t port, const std::string& name, const std::string& want) {
  std::string got;
  for (int i = 0; i < 50; ++i) {
    got = Query("127.0.0.1", port, name);
    if (got == want) break;
    std::this_thread::sleep_for(100ms);
  }
  return got;
}

}  // namespace netsnap::testing
