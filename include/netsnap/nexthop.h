// Next-hop records: one next-hop object (`ip nexthop`). Field names follow `ip -j nexthop show`.
//
// Key: the next-hop id. Everything else is the value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/route.h"
#include "netsnap/status.h"

namespace netsnap {

struct NexthopGroupMember {
  uint32_t id = 0;
  uint16_t weight = 1;  // as `ip` prints it (nexthop_grp.weight + 1)
  bool operator==(const NexthopGroupMember&) const = default;
};

struct Nexthop {
  // Key.
  uint32_t id = 0;

  // Value.
  uint8_t family = 0;    // AF_INET, AF_INET6, or 0 for groups and blackholes
  uint8_t protocol = 0;  // RTPROT_*
  uint8_t scope = 0;
  uint32_t flags = 0;  // RTNH_F_* (onlink = 4)
  Address gateway;
  std::string dev;
  bool blackhole = false;
  bool fdb = false;
  std::vector<NexthopGroupMember> group;  // non-empty for a group
  uint16_t group_type = 0;                // 0 mpath, 1 resilient
  // Resilient group parameters (group_type 1).
  uint16_t res_buckets = 0;
  uint32_t res_idle_timer = 0;
  uint32_t res_unbalanced_timer = 0;
  std::vector<RawAttr> raw;  // sorted by type

  Record ToRecord() const;
  static Status FromRecord(RecordRef rec, Nexthop* out);
  std::string Key() const;
  // The key of next hop `id` without building a Nexthop.
  static std::string KeyOf(uint32_t id);

  bool operator==(const Nexthop&) const = default;
};

}  // namespace netsnap
