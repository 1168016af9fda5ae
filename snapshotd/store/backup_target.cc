#include "store/backup_target.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netsnap::store {

namespace {

constexpr size_t kMaxPath = 4000;  // below PATH_MAX with room for RocksDB's file names

Status CheckDirectory(const std::string& dir, bool parent) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT && parent) {
      return Status::InvalidArgument("the backup's parent directory " + dir +
                                     " does not exist; create it (mode 0700) first");
    }
    return Status::InvalidArgument("cannot inspect " + dir + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) {
    return Status::Refused(dir + " is a symbolic link; give the backup path without links");
  }
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(dir + " is not a directory");
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return Status::Refused(dir + " is owned by uid " + std::to_string(st.st_uid) +
                           ", not by root or the daemon's user");
  }
  bool open_to_others = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  if (open_to_others && (parent || !(st.st_mode & S_ISVTX))) {
    return Status::Refused(dir + " is writable by group or others; put the backup in a " +
                           "directory only its owner can write (chmod go-w)");
  }
  return Status::OK();
}

Status CheckAbsent(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    return Status::Conflict(path + " exists; a backup goes to a new directory");
  }
  if (errno != ENOENT) {
    return Status::InvalidArgument("cannot inspect " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace

Status CheckBackupTarget(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return Status::InvalidArgument("the backup path must be absolute, not '" + path + "'");
  }
  if (path.size() > kMaxPath || path.find('\0') != std::string::npos || path.back() == '/') {
    return Status::InvalidArgument("the backup path is malformed");
  }
  // Every component: none may be "", "." or "..".
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return Status::InvalidArgument("the backup path must not hold empty, '.' or '..' parts");
    }
    start = end + 1;
  }
  size_t last = path.rfind('/');
  // The directories from the root down to the parent; the parent checked strictest.
  for (size_t end = 0; end != std::string::npos && end <= last;
       end = end == last ? std::string::npos : path.find('/', end + 1)) {
    std::string dir = end == 0 ? "/" : path.substr(0, end);
    NETSNAP_RETURN_IF_ERROR(CheckDirectory(dir, end == last));
  }
  NETSNAP_RETURN_IF_ERROR(CheckAbsent(path));
  return CheckAbsent(path + ".tmp");
}

}  // namespace netsnap::store
