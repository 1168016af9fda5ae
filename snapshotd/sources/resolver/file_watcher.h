// Watches configuration files for any change with inotify: each file (its inode, for in-place
// edits), its folder (for rename replacement, delete and re-create, editors' save patterns),
// every link of a symlink chain and the folder it lives in (for retargeting), and whole
// folders (conf-dir, drop-ins). A path that does not exist yet is watched through its nearest
// existing ancestor folder. Not thread-safe: one thread owns it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "netsnap/status.h"

namespace netsnap {

class FileWatcher {
 public:
  FileWatcher() = default;
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  Status Init();
  // The descriptor to poll for readability.
  int fd() const { return fd_; }

  // Replaces the watched set. Re-adding is cheap, so callers call it after every reading pass
  // (inodes change when files are replaced).
  void Watch(const std::vector<std::string>& files, const std::vector<std::string>& folders);

  // Reads pending events without blocking. Returns true when one concerns a watched path (or
  // the kernel's queue overflowed, which sets *overflow).
  bool Drain(bool* overflow);

 private:
  struct WatchInfo {
    bool all = false;             // every entry of the folder matters
    std::set<std::string> names;  // else only these entries
    bool file = false;            // a watch on a file's own inode
  };
  void AddFileChain(const std::string& path, std::map<std::string, WatchInfo>* want);
  static void AddFolderEntry(const std::string& path, std::map<std::string, WatchInfo>* want);

  int fd_ = -1;
  std::map<int, WatchInfo> watches_;  // by watch descriptor
};

}  // namespace netsnap
