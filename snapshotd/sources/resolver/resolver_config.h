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
//   write_paths = ["/etc/dnsmasq.d"]  # optional: more folders or files a restore may write
//   read_paths = ["/etc/hosts.d"]     # optional: more folders or files whose content is recorded
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/source.h"
#include "sources/resolver/file_tree.h"
#include "sources/resolver/resolver_reader.h"

namespace netsnap {

struct ResolverConfig {
  ResolverFormat format = ResolverFormat::kResolvConf;
  std::string path = "/etc/resolv.conf";
  std::string reload;  // empty: none
  int64_t reload_timeout_ms = 10'000;
  int64_t debounce_ms = 100;
  int64_t reread_ms = 60'000;
  bool read_only = false;
  std::vector<std::string> write_paths;  // absolute, normalised
  std::vector<std::string> read_paths;   // absolute, normalised
  ReadLimits limits;
};

// The roots files are read and written beneath: `path` (and, for the resolved format, its
// drop-in folder PATH.d) plus write_paths may be written and read; read_paths may be read.
FileTree ResolverTree(const ResolverConfig& config);

// The embedded default (no table, name "resolver") watches /etc/resolv.conf read-only. Errors
// are InvalidArgument naming the source, the key and its line.
Status ParseResolverConfig(const SourceSpec& spec, ResolverConfig* out);

}  // namespace netsnap
