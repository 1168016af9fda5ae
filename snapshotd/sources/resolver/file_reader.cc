#include "sources/resolver/file_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace netsnap {

namespace {

constexpr int kMaxHops = 40;  // as the kernel's own limit on links in one lookup

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Why a folder on the way could not be opened, for the record.
std::string WhyNoFolder(const FileTree::Entry& e, const Status& st) {
  if (e.errno_value == EXDEV) return "a link on the way leads outside its root";
  if (e.errno_value == ELOOP) {
    return e.inside ? "a link on the way is not followed"
                    : "outside the roots: a link on the way, not read";
  }
  return st.message();
}

std::string ReadLinkAt(int dir, const std::string& name) {
  char buf[4096];
  ssize_t n = readlinkat(dir, name.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Reads at most max_bytes + 1 bytes so that growth past the cap is noticed.
bool ReadAll(int fd, size_t max_bytes, std::string* out, std::string* error) {
  out->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = Errno("read");
      return false;
    }
    if (n == 0) return true;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > max_bytes) {
      *error = "file is larger than " + std::to_string(max_bytes) + " bytes";
      out->clear();
      return false;
    }
  }
}

// The note for a file outside the roots: its XXH3-128 (as `xxh128sum` prints it) and size.
std::string OutsideNote(int fd, size_t max_bytes) {
  const std::string head = "outside the roots: content not recorded";
  XXH3_state_t* state = XXH3_createState();
  if (!state) return head;
  XXH3_128bits_reset(state);
  char buf[65536];
  size_t total = 0;
  std::string why;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = Errno("read");
      break;
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
    if (total > max_bytes) {
      why = "larger than " + std::to_string(max_bytes) + " bytes";
      break;
    }
    XXH3_128bits_update(state, buf, static_cast<size_t>(n));
  }
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(state));
  XXH3_freeState(state);
  if (!why.empty()) return head + " (" + why + ")";
  static const char* hex = "0123456789abcdef";
  std::string h;
  for (unsigned char b : c.digest) {
    h.push_back(hex[b >> 4]);
    h.push_back(hex[b & 15]);
  }
  return head + " (xxh128 " + h + ", " + std::to_string(total) + " bytes)";
}

}  // namespace

bool ReadConfigFile(const FileTree& tree, const std::string& path, size_t max_bytes,
                    ConfigFile* out) {
  ConfigFile f;
  f.path = path;
  FileTree::Entry e;
  Status st = tree.Parent(path, FileTree::Access::kRead, &e);
  if (!st.ok()) {
    if (e.errno_value == ENOENT || e.errno_value == ENOTDIR) return false;
    f.error = WhyNoFolder(e, st);
    *out = std::move(f);
    return true;
  }
  struct stat lst;
  if (fstatat(e.dir.get(), e.name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) != 0) return false;
  // Each hop of a link chain is resolved by the tree's rules, from the link's own folder.
  std::string at = path;
  for (int hop = 0; S_ISLNK(lst.st_mode); ++hop) {
    std::string target = ReadLinkAt(e.dir.get(), e.name);
    if (hop == 0) f.symlink_target = target;
    if (target.empty() || hop == kMaxHops) {
      f.error = target.empty() ? "unreadable symbolic link" : "too many levels of symbolic links";
      *out = std::move(f);
      return true;
    }
    at = ResolveRelative(ParentDir(at), target);
    e = FileTree::Entry{};
    st = tree.Parent(at, FileTree::Access::kRead, &e);
    if (st.ok() && fstatat(e.dir.get(), e.name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) != 0) {
      e.errno_value = errno;
      st = Status::IOError(Errno("stat"));
    }
    if (!st.ok()) {
      f.error = e.errno_value == ENOENT || e.errno_value == ENOTDIR ? "dangling symbolic link"
                                                                    : WhyNoFolder(e, st);
      *out = std::move(f);
      return true;
    }
  }
  f.mode = lst.st_mode & 07777;
  f.uid = lst.st_uid;
  f.gid = lst.st_gid;
  if (!S_ISREG(lst.st_mode)) {
    f.error = S_ISDIR(lst.st_mode) ? "is a folder, not a file" : "not a regular file";
    *out = std::move(f);
    return true;
  }
  // O_NOFOLLOW and the inode check: what is read is what was looked at, even if swapped since.
  int fd = openat(e.dir.get(), e.name.c_str(),
                  O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  struct stat fst;
  if (fd < 0) {
    f.error = Errno("open");
  } else if (fstat(fd, &fst) != 0 || fst.st_ino != lst.st_ino || fst.st_dev != lst.st_dev) {
    f.error = "replaced while being read";
  } else if (!e.inside) {
    f.error = OutsideNote(fd, max_bytes);
  } else if (static_cast<uint64_t>(fst.st_size) > max_bytes) {
    f.error = "file is larger than " + std::to_string(max_bytes) + " bytes";
  } else {
    f.has_content = ReadAll(fd, max_bytes, &f.content, &f.error);
  }
  if (fd >= 0) close(fd);
  *out = std::move(f);
  return true;
}

std::vector<std::string> ListFolder(const FileTree& tree, const std::string& dir,
                                    std::string* error) {
  std::vector<std::string> names;
  UniqueFd fd;
  Status st = tree.Open(dir, O_RDONLY | O_DIRECTORY, FileTree::Access::kRead, &fd);
  if (!st.ok()) {
    *error = st.message();
    return names;
  }
  DIR* d = fdopendir(fd.get());
  if (!d) {
    *error = Errno("opendir");
    return names;
  }
  fd.Release();  // closedir closes it
  while (struct dirent* ent = readdir(d)) {
    std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(std::move(name));
    if (names.size() > 100000) break;  // a hostile folder; the caller's limits apply anyway
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool IsFolder(const FileTree& tree, const std::string& path) {
  UniqueFd fd;
  struct stat st;
  return tree.Open(path, O_PATH, FileTree::Access::kRead, &fd).ok() && fstat(fd.get(), &st) == 0 &&
         S_ISDIR(st.st_mode);
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string ResolveRelative(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p = !path.empty() && path[0] == '/'
                                ? std::filesystem::path(path)
                                : std::filesystem::path(base_dir) / path;
  std::string s = p.lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace netsnap
