#include "sources/resolver/file_tree.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
constexpr uint64_t kNoLinks = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// Set once the kernel answered ENOSYS; every later call walks.
std::atomic<bool> g_no_openat2{false};

bool Contains(const std::string& root, const std::string& path) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// openat of one component without following it; a link where a folder was asked for fails
// with ELOOP, as RESOLVE_NO_SYMLINKS does (openat says ENOTDIR).
int OpenComponent(int at, const std::string& name, int flags) {
  int fd = openat(at, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 && errno == ENOTDIR && fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(st.st_mode)) {
    errno = ELOOP;
  }
  return fd;
}

// One component at a time, never following a link (stricter than RESOLVE_BENEATH).
int Walk(int dirfd, const std::string& rel, int flags) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= rel.size()) {
    size_t j = std::min(rel.find('/', i), rel.size());
    std::string part = rel.substr(i, j - i);
    if (part == "..") {
      errno = EXDEV;
      return -1;
    }
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    i = j + 1;
  }
  if (parts.empty()) return openat(dirfd, ".", flags | O_CLOEXEC);
  UniqueFd cur;
  int at = dirfd;
  for (size_t k = 0; k + 1 < parts.size(); ++k) {
    int fd = OpenComponent(at, parts[k], O_PATH | O_DIRECTORY);
    if (fd < 0) return -1;
    cur = UniqueFd(fd);
    at = fd;
  }
  return OpenComponent(at, parts.back(), flags);
}

// openat2 with the given resolve flags, or the walk once the kernel said ENOSYS. Returns the
// descriptor or -1 with errno set. `rel` is relative and normalised ("." allowed).
int OpenResolved(int dirfd, const std::string& rel, int flags, uint64_t resolve) {
  if (!g_no_openat2.load(std::memory_order_relaxed)) {
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = resolve;
    long fd = syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
    g_no_openat2.store(true, std::memory_order_relaxed);
  }
  return Walk(dirfd, rel, flags);
}

}  // namespace

void UniqueFd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

FileTree::FileTree(std::vector<std::string> read_roots, std::vector<std::string> write_roots)
    : read_roots_(std::move(read_roots)), write_roots_(std::move(write_roots)) {
  // Whatever may be written may be read.
  for (const std::string& w : write_roots_) {
    if (std::find(read_roots_.begin(), read_roots_.end(), w) == read_roots_.end()) {
      read_roots_.push_back(w);
    }
  }
}

bool FileTree::Inside(const std::string& path, Access access) const {
  const auto& roots = access == Access::kWrite ? write_roots_ : read_roots_;
  return std::any_of(roots.begin(), roots.end(),
                     [&](const std::string& r) { return Contains(r, path); });
}

Status FileTree::Locate(const std::string& path, Access access, Start* out) const {
  if (path.empty() || path[0] != '/' || ResolveRelative("/", path) != path) {
    return Status::InvalidArgument("not an absolute, normalised path: '" + path + "'");
  }
  const auto& roots = access == Access::kWrite ? write_roots_ : read_roots_;
  const std::string* best = nullptr;
  for (const std::string& r : roots) {
    if (Contains(r, path) && (!best || r.size() > best->size())) best = &r;
  }
  std::string from;
  if (best) {
    // A root that is the path itself is reached through its folder, so that a root file that
    // is a link is seen as one.
    bool self = path == *best && path != "/";
    from = self ? ParentDir(path) : *best;
    out->rel = self ? BaseName(path) : (path == *best ? "." : path.substr(best->size() + 1));
    if (*best == "/" && path != "/") out->rel = path.substr(1);
    out->resolve = kBeneath;
    out->inside = true;
  } else if (access == Access::kWrite) {
    return Status::Refused(path +
                           " lies outside the folders this source may write (its path and "
                           "write_paths)");
  } else {
    from = "/";
    out->rel = path == "/" ? "." : path.substr(1);
    out->resolve = kNoLinks;
    out->inside = false;
  }
  int fd = open(from.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + from + ": " + std::strerror(errno));
  out->fd = UniqueFd(fd);
  return Status::OK();
}

Status FileTree::Parent(const std::string& path, Access access, Entry* out) const {
  Start s;
  Status st = Locate(path, access, &s);
  if (!st.ok()) {
    out->errno_value = st.code() == Status::Code::kIOError ? ENOENT : 0;
    return st;
  }
  if (s.rel == ".") return Status::InvalidArgument("no folder holds '" + path + "'");
  size_t slash = s.rel.find_last_of('/');
  std::string dir_rel = slash == std::string::npos ? "." : s.rel.substr(0, slash);
  out->name = slash == std::string::npos ? s.rel : s.rel.substr(slash + 1);
  out->inside = s.inside;
  int fd = OpenResolved(s.fd.get(), dir_rel, O_PATH | O_DIRECTORY, s.resolve);
  if (fd < 0) {
    out->errno_value = errno;
    return Status::IOError("open folder of " + path + ": " + std::strerror(errno));
  }
  out->dir = UniqueFd(fd);
  out->errno_value = 0;
  return Status::OK();
}

Status FileTree::Open(const std::string& path, int flags, Access access, UniqueFd* out,
                      bool* inside) const {
  Start s;
  NETSNAP_RETURN_IF_ERROR(Locate(path, access, &s));
  if (inside) *inside = s.inside;
  int fd = OpenResolved(s.fd.get(), s.rel, flags, s.resolve);
  if (fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
  *out = UniqueFd(fd);
  return Status::OK();
}

}  // namespace netsnap
