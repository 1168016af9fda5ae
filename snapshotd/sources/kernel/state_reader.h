// Full dumps: the complete routing state (next-hop objects, policy rules, routes) of the
// namespace a socket lives in, as one sorted snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "sources/kernel/kernel_filter.h"
#include "sources/kernel/link_names.h"
#include "sources/kernel/netlink_socket.h"

namespace netsnap::kernel {

struct StateDump {
  Snapshot snapshot;
  // IPv6 routes with several next hops (their notifications need care, see change_decoder.h).
  std::vector<Route> ipv6_multipath;
  // Records dropped because an earlier record had the same key (e.g. IPv4 routes that differ
  // only in next hop, made with `ip route append`).
  uint64_t duplicates = 0;
};

// Replaces *links with the namespace's links.
Status ReadLinks(NetlinkSocket* sock, LinkNames* links);

// Dumps next hops, rules and routes (routes through `filter`, by table in the kernel when the
// filter names tables). `links` must be current.
Status ReadState(NetlinkSocket* sock, const KernelFilter& filter, const LinkNames& links,
                 StateDump* out);

}  // namespace netsnap::kernel
