// Whether a root daemon may write where a resolver file lives. A folder is safe when it is
// owned by root (or the daemon's own user) and no one else may change its entries: not
// writable by group or others, unless it is a sticky folder owned by root (as /tmp). In a
// sticky folder others may add names but can neither rename nor remove an entry they do not
// own, and every write here goes to a new O_EXCL name renamed over the destination, which
// replaces whatever entry is there without following it; so what is left to check is that the
// entry being replaced is root's (CheckWriteSafe does). Every folder from the file's up to "/"
// must be safe: whoever can rename a folder above can swap the whole subtree.
#pragma once

#include <string>
#include <vector>

#include "netsnap/status.h"
#include "sources/resolver/file_tree.h"

namespace netsnap {

// Refused, naming the path, when a folder holding `path` (up to "/") is not safe or the entry
// at `path` (a file or link, not followed) exists and is owned by another user than root (or
// the daemon's user). Refused too when `path` lies outside the write roots.
Status CheckWriteSafe(const FileTree& tree, const std::string& path);

// For capture: one line per unsafe folder holding any of `files` ("FOLDER: writable by others
// (mode 0777)"), each folder once, in order.
std::vector<std::string> UnsafeFolders(const FileTree& tree, const std::vector<std::string>& files);

}  // namespace netsnap
