// Who sent a change: a notification's nlmsg_pid is the port id of the socket that made the
// request, which for most tools (ip, bird, ...) is the process id, and for others (FRR's zebra)
// an id the kernel chose. The process name and command
// line are read from /proc at once, while the process is likely still there, and cached per pid
// for a short while (pids are reused).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "netsnap/version.h"
#include "sources/kernel/socket_owner.h"

namespace netsnap::kernel {

class ActorCache {
 public:
  // The actor behind port id `port` at time now_ns. Port 0 (the kernel) gives an unknown Actor;
  // a port id that is not a live pid is looked up by socket (socket_owner.h), from the calling
  // thread's network namespace, and stays unknown (with the port as pid when it could be one)
  // when no process holds it.
  const Actor& Lookup(uint32_t port, int64_t now_ns);

 private:
  static Actor Read(int32_t pid);

  struct Entry {
    Actor actor;
    int64_t read_ns = 0;
  };
  std::unordered_map<uint32_t, Entry> cache_;
  Actor unknown_;
  SocketOwner sockets_;
};

}  // namespace netsnap::kernel
