// The settings of one resolver source, from its [[source]] table:
//
//   [[source]]
//   name = "dnsmasq"
//   kind = "resolver"
//   format = "dnsmasq"            # resolv.conf | dnsmasq | resolved | unbound
//   path = "/etc/dnsmasq.conf"    # a file, or a folder of drop-ins
//   reload = "pkill -HUP dnsmasq" # optional: run after a restore
//   reload_timeout_s = 10         # optional
//   debounce_ms = 100             # optional: a burst of writes within this becomes one version
//   reread_s = 60                 # optional: periodic full re-read
//   read_only = false             # optional: refuse restores
#pragma once

#include <cstdint>
#include <string>

#include "sources/resolver/resolver_reader.h"
#include "sources/source.h"

namespace netsnap {

struct ResolverConfig {
  ResolverFormat format = ResolverFormat::kResolvConf;
  std::string path = "/etc/resolv.conf";
  std::string reload;  // empty: none
  int64_t reload_timeout_ms = 10'000;
  int64_t debounce_ms = 100;
  int64_t reread_ms = 60'000;
  bool read_only = false;
  ReadLimits limits;
};

// The embedded default (no table, name "resolver") watches /etc/resolv.conf read-only. Errors
// are InvalidArgument naming the source, the key and its line.
Status ParseResolverConfig(const SourceSpec& spec, ResolverConfig* out);

}  // namespace netsnap
