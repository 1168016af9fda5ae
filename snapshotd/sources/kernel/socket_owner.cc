#include "sources/kernel/socket_owner.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

namespace netsnap::kernel {

namespace {

constexpr size_t kMaxEntries = 1024;

// The inode of the NETLINK_ROUTE (protocol 0) socket with `port`; 0 when none.
uint64_t InodeOfPort(uint32_t port) {
  FILE* f = fopen("/proc/thread-self/net/netlink", "re");
  if (!f) return 0;
  char line[512];
  uint64_t inode = 0;
  if (!fgets(line, sizeof line, f)) line[0] = 0;  // the header
  while (fgets(line, sizeof line, f)) {
    unsigned long long sk = 0, ino = 0;
    int eth = -1;
    unsigned pid = 0;
    unsigned groups = 0;
    int rmem = 0, wmem = 0, dump = 0, locks = 0, drops = 0;
    if (sscanf(line, "%llx %d %u %x %d %d %d %d %d %llu", &sk, &eth, &pid, &groups, &rmem, &wmem,
               &dump, &locks, &drops, &ino) == 10 &&
        eth == 0 && pid == port) {
      inode = ino;
      break;
    }
  }
  fclose(f);
  return inode;
}

bool Holds(const std::string& fd_path, const std::string& want) {
  char buf[64];
  ssize_t n = readlink(fd_path.c_str(), buf, sizeof buf);
  return n > 0 && std::string_view(buf, static_cast<size_t>(n)) == want;
}

}  // namespace

int32_t SocketOwner::Find(uint32_t port) {
  uint64_t inode = InodeOfPort(port);
  if (inode == 0) return 0;
  const std::string want = "socket:[" + std::to_string(inode) + "]";
  auto it = by_inode_.find(inode);
  if (it != by_inode_.end() && Holds(it->second.fd_path, want)) return it->second.pid;
  if (by_inode_.size() >= kMaxEntries) by_inode_.clear();
  DIR* proc = opendir("/proc");
  if (!proc) return 0;
  int32_t found = 0;
  while (dirent* p = readdir(proc)) {
    if (p->d_name[0] < '1' || p->d_name[0] > '9') continue;
    const std::string dir = std::string("/proc/") + p->d_name + "/fd";
    DIR* fds = opendir(dir.c_str());
    if (!fds) continue;
    while (dirent* fd = readdir(fds)) {
      if (fd->d_name[0] == '.') continue;
      std::string path = dir + "/" + fd->d_name;
      if (Holds(path, want)) {
        found = static_cast<int32_t>(std::stol(p->d_name));
        by_inode_[inode] = {found, std::move(path)};
        break;
      }
    }
    closedir(fds);
    if (found) break;
  }
  closedir(proc);
  return found;
}

}  // namespace netsnap::kernel
