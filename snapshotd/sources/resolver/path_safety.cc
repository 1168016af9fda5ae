#include "sources/resolver/path_safety.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

constexpr int kMaxDepth = 256;

bool TrustedOwner(uid_t uid) { return uid == 0 || uid == geteuid(); }

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// "" when the folder is safe, else why not.
std::string FolderProblem(const struct stat& st) {
  if (!TrustedOwner(st.st_uid)) {
    return "owned by uid " + std::to_string(st.st_uid) + ", not root";
  }
  bool shared = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  bool sticky_root = (st.st_mode & S_ISVTX) && st.st_uid == 0;
  if (shared && !sticky_root) return "writable by others (mode " + Octal(st.st_mode) + ")";
  return "";
}

// Checks the folder `dirfd` and every folder above it up to "/", by their handles ("..");
// `name` is the folder's path, for messages. Returns the first problem as "PATH: why".
Status CheckChain(int dirfd, std::string name) {
  UniqueFd cur(fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (cur.get() < 0) return Status::IOError(name + ": " + std::strerror(errno));
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    struct stat st;
    if (fstat(cur.get(), &st) != 0) return Status::IOError(name + ": " + std::strerror(errno));
    std::string problem = FolderProblem(st);
    if (!problem.empty()) return Status::Refused("folder " + name + " is " + problem);
    UniqueFd up(openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct stat ust;
    if (up.get() < 0 || fstat(up.get(), &ust) != 0) {
      return Status::IOError(name + "/..: " + std::strerror(errno));
    }
    if (ust.st_ino == st.st_ino && ust.st_dev == st.st_dev) return Status::OK();  // "/"
    cur = std::move(up);
    name = ParentDir(name);
  }
  return Status::IOError(name + ": folders nested deeper than " + std::to_string(kMaxDepth));
}

}  // namespace

Status CheckWriteSafe(const FileTree& tree, const std::string& path) {
  FileTree::Entry e;
  NETSNAP_RETURN_IF_ERROR(tree.Parent(path, FileTree::Access::kWrite, &e));
  Status st = CheckChain(e.dir.get(), ParentDir(path));
  if (!st.ok()) return st.WithContext("not writing " + path);
  struct stat lst;
  if (fstatat(e.dir.get(), e.name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
      !TrustedOwner(lst.st_uid)) {
    return Status::Refused("not writing " + path + ": it is owned by uid " +
                           std::to_string(lst.st_uid) + ", not root");
  }
  return Status::OK();
}

std::vector<std::string> UnsafeFolders(const FileTree& tree,
                                       const std::vector<std::string>& files) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& f : files) {
    if (!tree.Inside(f, FileTree::Access::kRead)) continue;  // never read, never written
    std::string dir = ParentDir(f);
    if (!seen.insert(dir).second) continue;
    FileTree::Entry e;
    if (!tree.Parent(f, FileTree::Access::kRead, &e).ok()) continue;
    Status st = CheckChain(e.dir.get(), dir);
    if (st.code() == Status::Code::kRefused) out.push_back(st.message());
  }
  return out;
}

}  // namespace netsnap
