// dnsmasq configuration: server=, local=, address=, rev-server= become resolver rules; every other
// option becomes a setting named after it (values in order; "" for a flag). conf-file=,
// conf-dir= and servers-file= pull in more files, each versioned on its own; a file included
// twice (a loop) or beyond the nesting limit is reported on the line that includes it.
#pragma once

#include <string>

#include "sources/resolver/config_set.h"

namespace netsnap {

// Reads the configuration at `path` (a file, or a folder read like conf-dir=) into `set`.
// Relative include paths are taken relative to the including file's folder.
void ReadDnsmasq(const std::string& path, ConfigSet* set);

// The reverse-lookup domain of a prefix ("10.0.0.0/8" -> "10.in-addr.arpa"); false when the
// text is not a prefix. Lengths that do not fall on a label boundary round down.
bool ReverseDomain(std::string_view prefix, std::string* domain);

}  // namespace netsnap
