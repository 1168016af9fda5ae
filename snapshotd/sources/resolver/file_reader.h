// Reading one configuration file as it is on disk, without trusting it: links are followed (and
// the link itself is noted), anything that is not a regular file or is larger than a cap is
// recorded with an error instead of its content, and nothing blocks (FIFOs, devices).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "netsnap/resolver.h"

namespace netsnap {

// Fills *out for `path`. Returns false, leaving *out untouched, when nothing exists at the path
// (a dangling link does exist: it is returned with an error and no content).
bool ReadConfigFile(const std::string& path, size_t max_bytes, ConfigFile* out);

// Names of the entries of a folder, sorted; empty with *error set when it cannot be listed.
std::vector<std::string> ListFolder(const std::string& dir, std::string* error);

// "/a/b" for "/a/b/c"; "/" for "/c".
std::string ParentDir(const std::string& path);
// `path` itself when absolute, else relative to `base_dir`; lexically normalised (no "." or
// ".." parts, no trailing slash).
std::string ResolveRelative(const std::string& base_dir, const std::string& path);

}  // namespace netsnap
