// Which routes a kernel source records. The default leaves out what the kernel derives by
// itself: routes with protocol `kernel` (connected subnets), the `local` table, and IPv6
// link-local (fe80::/64) and multicast (ff00::/8) housekeeping routes. Rules and next-hop
// objects are always recorded.
#pragma once

#include <cstdint>
#include <vector>

#include "netsnap/route.h"

namespace netsnap::kernel {

struct KernelFilter {
  bool include_protocol_kernel = false;
  bool include_local_table = false;
  bool include_ipv6_housekeeping = false;
  std::vector<uint32_t> tables;          // only these tables; empty = every table
  std::vector<uint32_t> exclude_tables;  // never these tables

  bool KeepRoute(const Route& r) const;
  // True when only some tables are kept, so dumps can be filtered by table in the kernel.
  bool limits_tables() const { return !tables.empty(); }
};

}  // namespace netsnap::kernel
