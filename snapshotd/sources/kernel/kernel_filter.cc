#include "sources/kernel/kernel_filter.h"

#include <algorithm>

namespace netsnap::kernel {

namespace {

constexpr uint8_t kRtprotKernel = 2;
constexpr uint32_t kLocalTable = 255;

bool IsHousekeeping(const Route& r) {
  if (r.family != 10) return false;
  if (r.dst.len == 64 && r.dst.addr[0] == 0xfe && r.dst.addr[1] == 0x80) {
    return std::all_of(r.dst.addr + 2, r.dst.addr + 8, [](uint8_t b) { return b == 0; });
  }
  return r.dst.len == 8 && r.dst.addr[0] == 0xff;
}

bool Contains(const std::vector<uint32_t>& v, uint32_t t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

}  // namespace

bool KernelFilter::KeepRoute(const Route& r) const {
  if (!include_protocol_kernel && r.protocol == kRtprotKernel) return false;
  if (!include_local_table && r.table == kLocalTable) return false;
  if (!include_ipv6_housekeeping && IsHousekeeping(r)) return false;
  if (!tables.empty() && !Contains(tables, r.table)) return false;
  return !Contains(exclude_tables, r.table);
}

}  // namespace netsnap::kernel
