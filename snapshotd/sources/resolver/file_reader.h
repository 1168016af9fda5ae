// Reading one configuration file as it is on disk, without trusting it, through a FileTree:
// links are followed hop by hop, each hop by the tree's rules (and the first link is noted);
// anything that is not a regular file or is larger than a cap is recorded with an error
// instead of its content, and nothing blocks (FIFOs, devices). A file whose final location
// lies outside the read roots is recorded with its metadata and a hash of its bytes, never its
// content: its error says "outside the roots: content not recorded (xxh128 HEX, N bytes)".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "netsnap/resolver.h"
#include "sources/resolver/file_tree.h"

namespace netsnap {

// Fills *out for `path`. Returns false, leaving *out untouched, when nothing exists at the path
// (a dangling link does exist: it is returned with an error and no content).
bool ReadConfigFile(const FileTree& tree, const std::string& path, size_t max_bytes,
                    ConfigFile* out);

// Names of the entries of a folder, sorted; empty with *error set when it cannot be listed.
std::vector<std::string> ListFolder(const FileTree& tree, const std::string& dir,
                                    std::string* error);

// Whether a folder is at `path` (following links by the tree's rules).
bool IsFolder(const FileTree& tree, const std::string& path);

// "/a/b" for "/a/b/c"; "/" for "/c".
std::string ParentDir(const std::string& path);
// `path` itself when absolute, else relative to `base_dir`; lexically normalised (no "." or
// ".." parts, no trailing slash).
std::string ResolveRelative(const std::string& base_dir, const std::string& path);

}  // namespace netsnap
