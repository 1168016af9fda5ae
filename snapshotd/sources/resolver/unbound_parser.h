// unbound.conf(5): forward-zone: and stub-zone: clauses become "forward" and "stub" rules
// (name, forward-addr/-host or stub-addr/-host in order, *-first and *-tls-upstream as options);
// local-zone: becomes a "local" rule; every other server: key a setting named "server:<key>".
// include: (with glob patterns) pulls in more files.
#pragma once

#include <string>

#include "sources/resolver/config_set.h"

namespace netsnap {

void ReadUnbound(const std::string& path, ConfigSet* set);

}  // namespace netsnap
