// A generator of realistic route tables for benchmarks: IPv4 and IPv6 with a prefix-length mix
// like an Internet table, several next hops, some multipath, several tables. Deterministic for
// a given seed. Gateways lie on the test namespace's veth subnets (10.99.0.0/24 and
// fd00:99::/64 on a0), so the routes load into a namespace made by tests/support/netns.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/route.h"

namespace netsnap::tools {

struct GenOptions {
  size_t routes = 10000;
  double ipv6_share = 0.2;
  double multipath_share = 0.05;
  uint32_t tables = 3;  // main plus tables 100, 101, ...
  uint32_t seed = 1;
  std::string dev = "a0";
};

// `routes` distinct routes.
std::vector<Route> GenerateRoutes(const GenOptions& options);

// The `ip -batch` line that adds the route ("route add ...").
std::string IpBatchLine(const Route& route);

}  // namespace netsnap::tools
