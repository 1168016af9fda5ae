// Watches configuration files for any change with inotify: each file (its inode, for in-place
// edits), its folder (for rename replacement, delete and re-create, editors' save patterns),
// every link of a symlink chain and the folder it lives in (for retargeting), and whole
// folders (conf-dir, drop-ins). A path that does not exist yet is watched through its nearest
// existing ancestor folder. Paths are looked up through a FileTree and each watch is added on
// the descriptor found (/proc/self/fd/N), never by name. Not thread-safe: one thread owns it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "netsnap/status.h"
#include "sources/resolver/file_tree.h"

namespace netsnap {

class FileWatcher {
 public:
  FileWatcher() = default;
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // `tree` must outlive the watcher.
  Status Init(const FileTree* tree);
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
  void AddFileChain(const std::string& path, std::map<std::string, WatchInfo>* want) const;
  void AddFolderEntry(const std::string& path, std::map<std::string, WatchInfo>* want) const;
  // inotify_add_watch on the object at `path`, opened through the tree; -1 when it is gone.
  int AddWatch(const std::string& path, bool folder) const;

  const FileTree* tree_ = nullptr;
  int fd_ = -1;
  std::map<int, WatchInfo> watches_;  // by watch descriptor
};

}  // namespace netsnap
