// Where a backup may be written. The daemon runs as root and the path comes from an API request
// or a command line: it is hostile input until checked. A target is accepted only when
//   - it is an absolute path without "." or ".." components, NUL bytes or trailing slash;
//   - neither it nor "<it>.tmp" exists (RocksDB's Checkpoint creates the directory itself, and
//     first empties a leftover "<it>.tmp" staging directory: through a planted symlink that
//     would delete another directory's files);
//   - every directory above it is a real directory (no symlink anywhere), owned by root or the
//     daemon's user, and closed to writes by group and others — sticky directories such as /tmp
//     excepted above the parent, since others cannot rename or remove what is in them;
//   - its parent exists and is closed to writes by group and others, sticky or not: nobody but
//     its owner can plant anything where the checkpoint is made, between this check and the
//     checkpoint or during it.
#pragma once

#include <string>

#include "netsnap/status.h"

namespace netsnap::store {

// OK when `path` is a target as above; InvalidArgument for a malformed path or a missing
// parent, Conflict when it (or its staging name) exists, Refused for an unsafe directory above.
Status CheckBackupTarget(const std::string& path);

}  // namespace netsnap::store
