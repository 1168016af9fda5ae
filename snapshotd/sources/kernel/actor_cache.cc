#include "sources/kernel/actor_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace netsnap::kernel {

namespace {

constexpr int64_t kTtlNs = 2'000'000'000;  // re-read /proc after this long
constexpr size_t kMaxEntries = 4096;

// The contents of a small /proc file, or "" when it cannot be read. The process may exit
// between open and read (ESRCH): plain read(2), because libstdc++'s streams throw then.
std::string ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  ssize_t n;
  while (out.size() < (64u << 10) && (n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

}  // namespace

Actor ActorCache::Read(int32_t pid) {
  Actor a;
  a.pid = pid;
  std::string dir = "/proc/" + std::to_string(pid);
  a.process = ReadFile(dir + "/comm");
  while (!a.process.empty() && a.process.back() == '\n') a.process.pop_back();
  std::string cmd = ReadFile(dir + "/cmdline");
  while (!cmd.empty() && cmd.back() == '\0') cmd.pop_back();
  for (char& c : cmd) {
    if (c == '\0') c = ' ';
  }
  a.cmdline = std::move(cmd);
  return a;
}

const Actor& ActorCache::Lookup(uint32_t port, int64_t now_ns) {
  if (port == 0) return unknown_;
  auto it = cache_.find(port);
  if (it != cache_.end() && now_ns - it->second.read_ns < kTtlNs) return it->second.actor;
  if (cache_.size() >= kMaxEntries) cache_.clear();
  Entry& e = cache_[port];
  e.read_ns = now_ns;
  e.actor = static_cast<int32_t>(port) > 0 ? Read(static_cast<int32_t>(port)) : Actor{};
  if (e.actor.process.empty()) {
    // Not a live pid: a port id the kernel chose, or a socket opened before its daemon forked.
    if (int32_t pid = sockets_.Find(port)) e.actor = Read(pid);
  }
  return e.actor;
}

}  // namespace netsnap::kernel
