// Putting configuration files back, only inside the write roots (see file_tree.h) and only
// where path_safety.h allows. Nothing is ever written, renamed or removed by name or through a
// link: each destination's folder is opened beneath its root, the new bytes go to a new O_EXCL
// temporary file in it, which gets the recorded owner and mode on its descriptor, is fsynced
// and renamed over the destination (replacing whatever entry is there, a link included,
// without following it), and the folder is fsynced.
//
// A recorded link is re-created as the link (symlinkat + renameat). Its content is written
// where the recorded target lies, as a regular file replacing whatever entry is there (a link
// in a chain becomes a file: the record knows the first hop only), and only when that is
// inside the write roots; otherwise the content is left alone, and the write fails unless the
// file read through the link already matches the record.
#pragma once

#include <string>

#include "netsnap/resolver.h"
#include "netsnap/status.h"
#include "sources/resolver/file_tree.h"

namespace netsnap {

// Whether WriteConfigFile may write every entry it would (see path_safety.h): file.path and,
// for a link, its recorded target when that lies inside the write roots. Refused names the path.
Status CheckConfigFileWrite(const FileTree& tree, const ConfigFile& file);

// Makes the file at file.path match the record (content, mode, owner, link layout). Fails with
// InvalidArgument for a record without content, Refused where writing is not safe.
Status WriteConfigFile(const FileTree& tree, const ConfigFile& file);

// Removes the file (or the link itself) at path; a missing path is not an error.
Status RemoveConfigFile(const FileTree& tree, const std::string& path);

}  // namespace netsnap
