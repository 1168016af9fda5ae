// resolv.conf(5): name servers in order (the default rule "."), and the settings `search`,
// `domain`, `options` and `sortlist`.
#pragma once

#include <string>

#include "sources/resolver/config_set.h"

namespace netsnap {

// Reads the file at `path` into `set`. A missing file adds nothing.
void ReadResolvConf(const std::string& path, ConfigSet* set);

}  // namespace netsnap
