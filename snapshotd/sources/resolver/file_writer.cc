#include "sources/resolver/file_writer.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sources/resolver/file_reader.h"
#include "sources/resolver/path_safety.h"

namespace netsnap {

namespace {

constexpr int kNameAttempts = 16;

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// A fresh name beside `name`: ".NAME.netsnap-RANDOM", within NAME_MAX.
std::string TempName(const std::string& name) {
  uint64_t r = 0;
  if (getrandom(&r, sizeof r, 0) != sizeof r) r = static_cast<uint64_t>(getpid()) << 20;
  static const char* hex = "0123456789abcdef";
  std::string s = "." + name.substr(0, 200) + ".netsnap-";
  for (int i = 0; i < 16; ++i, r >>= 4) s.push_back(hex[r & 15]);
  return s;
}

Status SyncFolder(int dirfd, const std::string& path) {
  UniqueFd fd(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Errno("open folder of", path);
  return fsync(fd.get()) == 0 ? Status::OK() : Errno("fsync folder of", path);
}

Status WriteAll(int fd, const std::string& bytes, const std::string& path) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", path);
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::OK();
}

// A regular file with the record's bytes, owner and mode at entry `e` (of `path`).
Status AtomicWrite(const FileTree::Entry& e, const std::string& path, const ConfigFile& file) {
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    std::string tmp = TempName(e.name);
    int raw = openat(e.dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0600);
    if (raw < 0 && errno == EEXIST) continue;
    if (raw < 0) return Errno("create a temporary file for", path);
    UniqueFd fd(raw);
    Status st = WriteAll(fd.get(), file.content, path);
    // Owner before mode: chown clears set-id bits.
    if (st.ok() && fchown(fd.get(), file.uid, file.gid) != 0) st = Errno("chown", path);
    if (st.ok() && fchmod(fd.get(), file.mode & 07777) != 0) st = Errno("chmod", path);
    if (st.ok() && fsync(fd.get()) != 0) st = Errno("fsync", path);
    if (close(fd.Release()) != 0 && st.ok()) st = Errno("close", path);
    if (st.ok() && renameat(e.dir.get(), tmp.c_str(), e.dir.get(), e.name.c_str()) != 0) {
      st = Errno("rename onto", path);
    }
    if (!st.ok()) {
      unlinkat(e.dir.get(), tmp.c_str(), 0);
      return st;
    }
    return SyncFolder(e.dir.get(), path);
  }
  return Status::IOError("create a temporary file for " + path + ": no free name");
}

// Points the link at entry `e` (of `path`) to `target`, replacing whatever is there atomically.
Status AtomicSymlink(const FileTree::Entry& e, const std::string& path, const std::string& target) {
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    std::string tmp = TempName(e.name);
    if (symlinkat(target.c_str(), e.dir.get(), tmp.c_str()) != 0) {
      if (errno == EEXIST) continue;
      return Errno("symlink", path);
    }
    if (renameat(e.dir.get(), tmp.c_str(), e.dir.get(), e.name.c_str()) != 0) {
      Status st = Errno("rename onto", path);
      unlinkat(e.dir.get(), tmp.c_str(), 0);
      return st;
    }
    return SyncFolder(e.dir.get(), path);
  }
  return Status::IOError("symlink " + path + ": no free temporary name");
}

std::string ReadLinkAt(const FileTree::Entry& e) {
  char buf[4096];
  ssize_t n = readlinkat(e.dir.get(), e.name.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

bool SameAsRecord(const ConfigFile& live, const ConfigFile& want) {
  return live.has_content && live.content == want.content && live.mode == want.mode &&
         live.uid == want.uid && live.gid == want.gid;
}

Status WriteRegular(const FileTree& tree, const std::string& path, const ConfigFile& file) {
  NETSNAP_RETURN_IF_ERROR(CheckWriteSafe(tree, path));
  FileTree::Entry e;
  NETSNAP_RETURN_IF_ERROR(tree.Parent(path, FileTree::Access::kWrite, &e));
  return AtomicWrite(e, path, file);
}

// Where the content of a recorded link goes: its recorded target.
std::string LinkDestination(const ConfigFile& file) {
  return ResolveRelative(ParentDir(file.path), file.symlink_target);
}

}  // namespace

Status CheckConfigFileWrite(const FileTree& tree, const ConfigFile& file) {
  NETSNAP_RETURN_IF_ERROR(CheckWriteSafe(tree, file.path));
  if (file.symlink_target.empty()) return Status::OK();
  const std::string dest = LinkDestination(file);
  return tree.Inside(dest, FileTree::Access::kWrite) ? CheckWriteSafe(tree, dest) : Status::OK();
}

Status WriteConfigFile(const FileTree& tree, const ConfigFile& file) {
  if (!file.has_content) {
    return Status::InvalidArgument(file.path + ": the version holds no content to restore" +
                                   (file.error.empty() ? "" : " (" + file.error + ")"));
  }
  if (file.symlink_target.empty()) return WriteRegular(tree, file.path, file);
  NETSNAP_RETURN_IF_ERROR(CheckWriteSafe(tree, file.path));
  // The content goes where the record says the link points, replacing whatever entry is there
  // now (a link swapped in included): never further along links found on disk.
  const std::string dest = LinkDestination(file);
  const bool inside = tree.Inside(dest, FileTree::Access::kWrite);
  if (inside) NETSNAP_RETURN_IF_ERROR(WriteRegular(tree, dest, file));
  FileTree::Entry e;
  NETSNAP_RETURN_IF_ERROR(tree.Parent(file.path, FileTree::Access::kWrite, &e));
  if (ReadLinkAt(e) != file.symlink_target) {
    NETSNAP_RETURN_IF_ERROR(AtomicSymlink(e, file.path, file.symlink_target));
  }
  if (inside) return Status::OK();
  // The content lies outside the write roots: fine only if it is already as recorded.
  ConfigFile live;
  if (ReadConfigFile(tree, file.path, file.content.size(), &live) && SameAsRecord(live, file)) {
    return Status::OK();
  }
  return Status::Refused("the link " + file.path + " was restored but not its content: " + dest +
                         " lies outside the folders this source may write (its path and "
                         "write_paths)");
}

Status RemoveConfigFile(const FileTree& tree, const std::string& path) {
  FileTree::Entry e;
  Status st = tree.Parent(path, FileTree::Access::kWrite, &e);
  if (e.errno_value == ENOENT) return Status::OK();  // its folder is gone too
  NETSNAP_RETURN_IF_ERROR(st);
  NETSNAP_RETURN_IF_ERROR(CheckWriteSafe(tree, path));
  if (unlinkat(e.dir.get(), e.name.c_str(), 0) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Errno("unlink", path);
  }
  return SyncFolder(e.dir.get(), path);
}

}  // namespace netsnap
