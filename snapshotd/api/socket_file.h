// The file system side of the API's Unix socket: its folder, a stale socket left by a daemon that
// died, and the socket file's owner group and mode.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "netsnap/status.h"

namespace netsnap::api {

// Makes `path` ready to bind: creates its parent folder (0755) when missing, and removes a stale
// socket file there. Refused when `path` is something other than a socket, or a socket another
// server still accepts on.
Status PrepareSocketPath(const std::string& path);

// Gives the bound socket file mode 0660 and, when set, group `group`.
Status SecureSocketFile(const std::string& path, std::optional<gid_t> group);

}  // namespace netsnap::api
