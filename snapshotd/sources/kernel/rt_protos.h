// Route protocol names from iproute2's files: `rt_protos` and every `*.conf` in `rt_protos.d`
// of a folder (/etc/iproute2 on a host), as `ip` reads them. Read only, never written.
#pragma once

#include <string>

#include "netsnap/route_protocols.h"
#include "netsnap/status.h"

namespace netsnap::kernel {

inline constexpr const char* kIproute2Dir = "/etc/iproute2";

// Adds to protocols->names the names of `text` (lines "NUMBER NAME", a decimal or 0x number up
// to 255, `#` comments); a later name for a number replaces an earlier one. Lines that are not
// of that form are skipped, as iproute2 skips them; a name is at most 64 printable characters
// without spaces.
void ParseRtProtos(std::string_view text, RouteProtocols* protocols);

// Reads DIR/rt_protos, then DIR/rt_protos.d/*.conf in name order, into protocols->names. A
// file or folder that is missing is no error (the built-in names stay); one that cannot be
// read is, naming it. Files over 1 MiB are refused.
Status LoadRtProtos(const std::string& dir, RouteProtocols* protocols);

}  // namespace netsnap::kernel
