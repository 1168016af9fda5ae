#include "sources/resolver/file_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace netsnap {

namespace {

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

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

}  // namespace

bool ReadConfigFile(const std::string& path, size_t max_bytes, ConfigFile* out) {
  struct stat lst;
  if (lstat(path.c_str(), &lst) != 0) return false;
  ConfigFile f;
  f.path = path;
  if (S_ISLNK(lst.st_mode)) {
    char target[4096];
    ssize_t n = readlink(path.c_str(), target, sizeof target);
    if (n > 0) f.symlink_target.assign(target, static_cast<size_t>(n));
  }
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    f.error = errno == ENOENT ? "dangling symbolic link" : Errno("open");
    *out = std::move(f);
    return true;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    f.error = Errno("fstat");
  } else {
    f.mode = st.st_mode & 07777;
    f.uid = st.st_uid;
    f.gid = st.st_gid;
    if (!S_ISREG(st.st_mode)) {
      f.error = S_ISDIR(st.st_mode) ? "is a folder, not a file" : "not a regular file";
    } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      f.error = "file is larger than " + std::to_string(max_bytes) + " bytes";
    } else {
      f.has_content = ReadAll(fd, max_bytes, &f.content, &f.error);
    }
  }
  close(fd);
  *out = std::move(f);
  return true;
}

std::vector<std::string> ListFolder(const std::string& dir, std::string* error) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) {
    *error = Errno("opendir");
    return names;
  }
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(std::move(name));
    if (names.size() > 100000) break;  // a hostile folder; the caller's limits apply anyway
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
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
