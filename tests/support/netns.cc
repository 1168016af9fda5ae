#include "netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/wait.h>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "temp_dir.h"

namespace netsnap::testing {

NetNs::NetNs() {
  static std::atomic<int> counter{0};
  name_ = std::string(kTestPrefix) + std::to_string(getpid()) + "-" + std::to_string(counter++);
  Shell("ip netns del " + name_ + " 2>/dev/null");
  if (Shell("ip netns add " + name_) != 0) throw std::runtime_error("ip netns add failed");
  const char* setup[] = {
      "link set lo up",
      "link add a0 type veth peer name b0",
      "link set a0 up",
      "link set b0 up",
      "addr add 10.99.0.1/24 dev a0",
      "addr add 10.99.0.2/24 dev b0",
      "addr add fd00:99::1/64 dev a0 nodad",
  };
  for (const char* s : setup) {
    if (Ip(s) != 0) {
      Shell("ip netns del " + name_);
      throw std::runtime_error(std::string("namespace set-up failed: ip ") + s);
    }
  }
}

NetNs::~NetNs() { Shell("ip netns del " + name_ + " 2>/dev/null"); }

int NetNs::Ip(const std::string& args, std::string* out) const {
  return Shell("ip -n " + name_ + " " + args + (out ? "" : " >/dev/null") + " 2>&1", out);
}

int NetNs::IpPid(const std::string& args) const {
  std::string out;
  if (Shell("sh -c 'echo $$; exec ip -n " + name_ + " " + args + "'", &out) != 0) return -1;
  return std::atoi(out.c_str());
}

int NetNs::IpBatch(const std::string& file) const {
  return Shell("ip -n " + name_ + " -batch " + file + " >/dev/null 2>&1");
}

int NetNs::Exec(const std::string& command, std::string* out) const {
  std::string quoted;
  for (char c : command) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return Shell("ip netns exec " + name_ + " sh -c '" + quoted + "'", out);
}

int NetNs::Socket(int type, const std::string& address, uint16_t* port) const {
  int sock = -1;
  // A thread of its own enters the namespace: sockets keep the namespace they were made in.
  std::thread([&] {
    int ns = open(path().c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) return;
    bool in = setns(ns, CLONE_NEWNET) == 0;
    close(ns);
    if (!in) return;
    sock = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    if (sock < 0 || inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1 ||
        bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ((type & 0xf) == SOCK_STREAM && listen(sock, 16) != 0)) {
      if (sock >= 0) close(sock);
      sock = -1;
    }
  }).join();
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  if (sock >= 0 && getsockname(sock, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    close(sock);
    sock = -1;
  }
  *port = ntohs(bound.sin_port);
  return sock;
}

}  // namespace netsnap::testing
