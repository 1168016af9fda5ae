// systemd-resolved configuration: resolved.conf and its drop-ins (<file>.d/*.conf, read in name
// order after the file). [Resolve] DNS= gives the default rule "."; Domains= gives a "system"
// rule per domain ("routing", plus "search" without the "~"); FallbackDNS=, DNSSEC=,
// DNSOverTLS= and every other key become settings. An empty assignment resets a list.
#pragma once

#include <string>

#include "sources/resolver/config_set.h"

namespace netsnap {

// `path` is resolved.conf (its drop-in folder is `path`.d) or a folder of drop-ins.
void ReadResolved(const std::string& path, ConfigSet* set);

}  // namespace netsnap
