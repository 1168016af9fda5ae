#include "sources/resolver/file_watcher.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

constexpr uint32_t kFolderMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY |
                                 IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                 IN_ONLYDIR;
constexpr uint32_t kFileMask =
    IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

FileWatcher::~FileWatcher() {
  if (fd_ >= 0) close(fd_);
}

Status FileWatcher::Init(const FileTree* tree) {
  tree_ = tree;
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) return Status::IOError(std::string("inotify_init1: ") + std::strerror(errno));
  return Status::OK();
}

// Watches `path`'s entry in its folder, or the nearest existing ancestor's entry leading to it.
void FileWatcher::AddFolderEntry(const std::string& path,
                                 std::map<std::string, WatchInfo>* want) const {
  std::string child = path;
  std::string dir = ParentDir(path);
  for (int i = 0; i < 64 && !IsFolder(*tree_, dir) && dir != "/"; ++i) {
    child = dir;
    dir = ParentDir(dir);
  }
  (*want)[dir].names.insert(BaseName(child));
}

void FileWatcher::AddFileChain(const std::string& path,
                               std::map<std::string, WatchInfo>* want) const {
  std::string p = path;
  for (int hop = 0; hop < 40; ++hop) {
    AddFolderEntry(p, want);
    FileTree::Entry e;
    struct stat st;
    if (!tree_->Parent(p, FileTree::Access::kRead, &e).ok() ||
        fstatat(e.dir.get(), e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return;
    }
    if (!S_ISLNK(st.st_mode)) {
      if (S_ISREG(st.st_mode)) (*want)[p].file = true;
      return;
    }
    char target[4096];
    ssize_t n = readlinkat(e.dir.get(), e.name.c_str(), target, sizeof target);
    if (n <= 0) return;
    p = ResolveRelative(ParentDir(p), std::string(target, static_cast<size_t>(n)));
  }
}

void FileWatcher::Watch(const std::vector<std::string>& files,
                        const std::vector<std::string>& folders) {
  std::map<std::string, WatchInfo> want;
  for (const std::string& f : files) AddFileChain(f, &want);
  for (const std::string& d : folders) {
    if (IsFolder(*tree_, d)) {
      want[d].all = true;
    } else {
      AddFolderEntry(d, &want);
    }
  }
  std::map<int, WatchInfo> next;
  for (const auto& [path, info] : want) {
    bool folder = info.all || !info.names.empty();
    int wd = AddWatch(path, folder);
    if (wd < 0) continue;  // gone meanwhile; the next pass or the periodic re-read heals it
    WatchInfo& w = next[wd];
    w.all = w.all || info.all;
    w.names.insert(info.names.begin(), info.names.end());
    w.file = w.file || info.file;
  }
  for (const auto& [wd, info] : watches_) {
    if (!next.count(wd)) inotify_rm_watch(fd_, wd);
  }
  watches_ = std::move(next);
}

int FileWatcher::AddWatch(const std::string& path, bool folder) const {
  UniqueFd fd;
  int flags = folder ? O_PATH | O_DIRECTORY : O_PATH | O_NOFOLLOW;
  if (!tree_->Open(path, flags, FileTree::Access::kRead, &fd).ok()) return -1;
  std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
  return inotify_add_watch(fd_, proc.c_str(), folder ? kFolderMask : kFileMask);
}

bool FileWatcher::Drain(bool* overflow) {
  bool relevant = false;
  alignas(struct inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        *overflow = true;
        relevant = true;
        continue;
      }
      auto it = watches_.find(ev->wd);
      if (it == watches_.end()) continue;
      if (ev->mask & IN_IGNORED) {
        watches_.erase(it);
        relevant = true;
        continue;
      }
      const WatchInfo& w = it->second;
      if (ev->len == 0 || w.all || w.file) {
        relevant = true;
      } else if (w.names.count(ev->name)) {
        relevant = true;
      }
    }
  }
  return relevant;
}

}  // namespace netsnap
