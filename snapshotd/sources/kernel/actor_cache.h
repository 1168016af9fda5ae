// Who sent a change: a notification's nlmsg_pid is the port id of the socket that made the
// request, which for most tools (ip, bird, ...) is the process id. The process name and command
// line are read from /proc at once, while the process is likely still there, and cached per pid
// for a short while (pids are reused).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "netsnap/version.h"

namespace netsnap::kernel {

class ActorCache {
 public:
  // The actor behind port id `port` at time now_ns. Port 0 (the kernel) and autobound port ids
  // that cannot be pids (negative as int32) give an unknown Actor.
  const Actor& Lookup(uint32_t port, int64_t now_ns);

 private:
  struct Entry {
    Actor actor;
    int64_t read_ns = 0;
  };
  std::unordered_map<uint32_t, Entry> cache_;
  Actor unknown_;
};

}  // namespace netsnap::kernel
