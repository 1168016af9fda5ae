#include "api/socket_file.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netsnap::api {

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// True when a server accepts connections on the socket at `path`.
bool SomeoneListens(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return live;
}

}  // namespace

Status PrepareSocketPath(const std::string& path) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status::InvalidArgument("api: socket path '" + path + "' is empty or longer than " +
                                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    std::string dir = path.substr(0, slash);
    // Made 0755 whatever the umask: other users reach the socket through it when its group or
    // mode lets them; the socket's own mode is the gate.
    if (mkdir(dir.c_str(), 0755) == 0) {
      if (chmod(dir.c_str(), 0755) != 0) return Status::IOError(Errno("api: chmod " + dir));
    } else if (errno != EEXIST) {
      return Status::IOError(Errno("api: cannot create the socket folder " + dir));
    }
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::IOError(Errno("api: " + path));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Status::Refused("api: " + path + " exists and is not a socket; remove it or set " +
                           "[daemon] socket to another path");
  }
  if (SomeoneListens(path)) {
    return Status::Refused("api: another server listens on " + path);
  }
  if (unlink(path.c_str()) != 0) return Status::IOError(Errno("api: cannot remove stale " + path));
  return Status::OK();
}

Status SecureSocketFile(const std::string& path, std::optional<gid_t> group) {
  if (group && chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    return Status::IOError(Errno("api: chgrp " + path));
  }
  if (chmod(path.c_str(), 0660) != 0) return Status::IOError(Errno("api: chmod 0660 " + path));
  return Status::OK();
}

}  // namespace netsnap::api
