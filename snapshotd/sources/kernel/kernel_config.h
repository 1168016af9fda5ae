// The settings of a `kind = "kernel"` [[source]] table:
//
//   netns         name under /run/netns, or a path (/proc/PID/ns/net); absent = own namespace
//   debounce_ms   quiet time that ends a burst of notifications (default 100)
//   max_delay_ms  longest a burst is held before delivery (default 1000)
//   resync_s      period of full re-dumps; 0 turns them off (default 300)
//   rcvbuf        notification socket receive buffer in bytes (default 8 MiB)
//   include_protocol_kernel, include_local_table, include_ipv6_housekeeping   (default false)
//   tables, exclude_tables   arrays of table numbers or names ("main", "local", "default")
#pragma once

#include <string>

#include "netsnap/status.h"
#include "sources/kernel/kernel_filter.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace netsnap::kernel {

struct KernelConfig {
  std::string netns;  // as configured; empty = the daemon's own namespace
  int debounce_ms = 100;
  int max_delay_ms = 1000;
  int resync_s = 300;
  int rcvbuf = 8 << 20;
  KernelFilter filter;
};

// Reads `table` (may be null: all defaults). A bad value is InvalidArgument naming the source,
// the key and its line.
Status ParseKernelConfig(const std::string& source_name, const toml::table* table,
                         KernelConfig* out);

}  // namespace netsnap::kernel
