// The only way resolver files are reached: through folder handles opened beneath configured
// roots, so that a link swapped in a folder others can write to never leads a root daemon to
// read or write elsewhere.
//
// Roots are absolute paths of folders or files: the source's `path`, `write_paths` (also read)
// and `read_paths`. A path inside a root is resolved from a handle on that root with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): links are followed only while they stay
// beneath the root, and /proc's magic links never. A path outside every root (an include file
// elsewhere, the folders above a root) is resolved from "/" with RESOLVE_NO_SYMLINKS: no link on
// the way at all. Where openat2 is missing (ENOSYS), a walk one component at a time with
// O_NOFOLLOW does the same without following any link. A root itself is opened by its name:
// the operator wrote it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/status.h"

namespace netsnap {

// An owned descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.Release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

class FileTree {
 public:
  enum class Access { kRead, kWrite };

  // Paths are made absolute and normalised by the caller (see ResolverConfig).
  FileTree(std::vector<std::string> read_roots, std::vector<std::string> write_roots);

  // Whether `path` lies lexically inside a root for `access` (write roots are also read roots).
  bool Inside(const std::string& path, Access access) const;

  // The folder holding `path`'s last component, and that component. Inside a root the folder
  // is resolved beneath the root; outside, for kRead, from "/" without links (*inside false);
  // for kWrite a path outside the write roots is Refused. IOError carries errno in errno_value.
  struct Entry {
    UniqueFd dir;
    std::string name;
    bool inside = false;
    int errno_value = 0;  // set when the folder could not be opened
  };
  Status Parent(const std::string& path, Access access, Entry* out) const;

  // Opens `path` itself with `flags` (O_PATH, O_RDONLY | O_DIRECTORY, ...) by the same rules as
  // Parent; the last component is followed only if `flags` lacks O_NOFOLLOW, and then only
  // beneath the root.
  Status Open(const std::string& path, int flags, Access access, UniqueFd* out,
              bool* inside = nullptr) const;

 private:
  // The handle to resolve from, the path relative to it, and the RESOLVE_* flags.
  struct Start {
    UniqueFd fd;
    std::string rel;
    uint64_t resolve = 0;
    bool inside = false;
  };
  Status Locate(const std::string& path, Access access, Start* out) const;

  std::vector<std::string> read_roots_;
  std::vector<std::string> write_roots_;
};

}  // namespace netsnap
