#include "sources/resolver/file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status SyncFolder(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open", dir);
  int rc = fsync(fd);
  close(fd);
  return rc == 0 ? Status::OK() : Errno("fsync", dir);
}

std::string TempName(const std::string& dest) {
  return ParentDir(dest) + "/." + BaseName(dest) + ".netsnap-XXXXXX";
}

// Writes a regular file at `dest` through a temporary file and a rename.
Status AtomicWrite(const std::string& dest, const ConfigFile& file) {
  std::string tmp = TempName(dest);
  int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return Errno("create temporary file for", dest);
  Status st;
  const char* p = file.content.data();
  size_t left = file.content.size();
  while (left > 0 && st.ok()) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = Errno("write", tmp);
    } else {
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (st.ok() && fchown(fd, file.uid, file.gid) != 0) st = Errno("chown", tmp);
  if (st.ok() && fchmod(fd, file.mode & 07777) != 0) st = Errno("chmod", tmp);
  if (st.ok() && fsync(fd) != 0) st = Errno("fsync", tmp);
  if (close(fd) != 0 && st.ok()) st = Errno("close", tmp);
  if (st.ok() && rename(tmp.c_str(), dest.c_str()) != 0) st = Errno("rename onto", dest);
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  return SyncFolder(ParentDir(dest));
}

// Points the link at `path` to `target`, replacing whatever is there atomically.
Status AtomicSymlink(const std::string& path, const std::string& target) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string tmp = ParentDir(path) + "/." + BaseName(path) + ".netsnap-link-" +
                      std::to_string(getpid()) + "-" + std::to_string(attempt);
    if (symlink(target.c_str(), tmp.c_str()) != 0) {
      if (errno == EEXIST) continue;
      return Errno("symlink", tmp);
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) {
      Status st = Errno("rename onto", path);
      unlink(tmp.c_str());
      return st;
    }
    return SyncFolder(ParentDir(path));
  }
  return Status::IOError("symlink " + path + ": no free temporary name");
}

std::string ReadLink(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return "";
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

}  // namespace

Status WriteConfigFile(const ConfigFile& file) {
  if (file.path.empty() || file.path[0] != '/' || file.path.find("/../") != std::string::npos) {
    return Status::InvalidArgument("not an absolute path: '" + file.path + "'");
  }
  if (!file.has_content) {
    return Status::InvalidArgument(file.path + ": the version holds no content to restore" +
                                   (file.error.empty() ? "" : " (" + file.error + ")"));
  }
  if (file.symlink_target.empty()) return AtomicWrite(file.path, file);
  // Write through to the target (following any further links), then make sure the link points
  // there.
  std::string target = ResolveRelative(ParentDir(file.path), file.symlink_target);
  for (int hop = 0; hop < 40; ++hop) {
    std::string next = ReadLink(target);
    if (next.empty()) break;
    target = ResolveRelative(ParentDir(target), next);
  }
  NETSNAP_RETURN_IF_ERROR(AtomicWrite(target, file));
  if (ReadLink(file.path) == file.symlink_target) return Status::OK();
  return AtomicSymlink(file.path, file.symlink_target);
}

Status RemoveConfigFile(const std::string& path) {
  if (unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Errno("unlink", path);
  }
  return SyncFolder(ParentDir(path));
}

}  // namespace netsnap
