// Route owners from the configuration (docs/detection.md, "Owners"): the protocol names of
// iproute2's rt_protos files and the built-in owner processes, with [[owner]] tables replacing
// the owner list of a protocol:
//
//   [[owner]]
//   protocol = "bird"        # a name from rt_protos (or rt_protos.d) or a number 0-255
//   processes = ["bird"]     # /proc/PID/comm names; [] means nobody owns the protocol's routes
#pragma once

#include <string>

#include "netsnap/route_protocols.h"
#include "netsnap/status.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace netsnap {

// Builds *out: RouteProtocols::BuiltIn(), the names of `iproute2_dir` (rt_protos and
// rt_protos.d, kernel/rt_protos.h), then the [[owner]] tables of `document`. Errors are
// InvalidArgument naming `origin`, the line and the key: an unknown key, a protocol that is
// neither a known name nor a number up to 255, a process list that is not an array of 1 to 64
// non-empty strings, or two tables for one protocol.
Status ParseOwners(const toml::table* document, const std::string& origin,
                   const std::string& iproute2_dir, RouteProtocols* out);

}  // namespace netsnap
