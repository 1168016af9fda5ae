// The process behind a netlink port id that is not its pid. A socket bound with port 0 gets
// the process id for its first socket and a kernel-chosen id (negative as int32) for the others;
// a socket opened before a daemon forks keeps its parent's pid. FRR's zebra writes routes
// through such sockets. /proc/thread-self/net/netlink (the calling thread's namespace) gives the
// socket's inode for a port id, and the process holding `socket:[inode]` is found under
// /proc/*/fd: a scan of every process, so its answers are cached by inode.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace netsnap::kernel {

class SocketOwner {
 public:
  // The pid of the process holding the NETLINK_ROUTE socket with port id `port` in the
  // calling thread's network namespace; 0 when none is found.
  int32_t Find(uint32_t port);

 private:
  struct Held {
    int32_t pid = 0;
    std::string fd_path;  // /proc/PID/fd/N, checked again before a cached answer is used
  };
  std::unordered_map<uint64_t, Held> by_inode_;
};

}  // namespace netsnap::kernel
