// Putting configuration files back, atomically: the new bytes go to a temporary file beside the
// destination, which is fsynced, given the recorded mode and owner, renamed over the
// destination, and the folder is fsynced. A recorded symlink is kept: the content is written
// through to the link's target, and the link is re-pointed (atomically) if it changed.
#pragma once

#include <string>

#include "netsnap/resolver.h"
#include "netsnap/status.h"

namespace netsnap {

// Makes the file at file.path match the record (content, mode, owner, symlink layout).
// Fails with InvalidArgument for a record without content.
Status WriteConfigFile(const ConfigFile& file);

// Removes the file (or the link itself) at path; a missing path is not an error.
Status RemoveConfigFile(const std::string& path);

}  // namespace netsnap
