// Rule records: one policy routing rule (`ip rule`). Field names follow `ip -j rule show`.
//
// Key (what makes two rules different rules): family, priority, then every selector (source and
// destination prefixes, tos, input and output interface, fwmark/mask, uid range, ip protocol,
// port ranges, tunnel id, realms, l3mdev, and the "not" flag). Everything else (the action and
// its table or goto target, suppressors, protocol) is the value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/route.h"
#include "netsnap/status.h"

namespace netsnap {

// An inclusive range of 16-bit port numbers; {0, 0} means absent.
struct PortRange {
  uint16_t start = 0;
  uint16_t end = 0;
  bool empty() const { return start == 0 && end == 0; }
  bool operator==(const PortRange&) const = default;
};

struct Rule {
  // Key.
  uint8_t family = 2;     // AF_INET or AF_INET6
  uint32_t priority = 0;  // FRA_PRIORITY
  Prefix src;             // family 0 = "all"
  Prefix dst;             // family 0 = any
  uint8_t tos = 0;
  std::string iif;  // FRA_IIFNAME; empty = any
  std::string oif;  // FRA_OIFNAME; empty = any
  uint32_t fwmark = 0;
  uint32_t fwmask = 0;  // 0 when absent
  bool has_uid_range = false;
  uint32_t uid_start = 0;
  uint32_t uid_end = 0;
  uint8_t ip_proto = 0;  // 0 = any
  PortRange sport;
  PortRange dport;
  uint64_t tun_id = 0;
  uint32_t realms = 0;  // FRA_FLOW
  uint8_t l3mdev = 0;
  bool invert = false;  // FIB_RULE_INVERT ("not")

  // Value.
  uint8_t action = 1;        // FR_ACT_TO_TBL (1), GOTO (2), NOP (3), BLACKHOLE (6), ...
  uint32_t table = 0;        // FRA_TABLE (or the header's table)
  uint32_t goto_target = 0;  // FRA_GOTO
  int32_t suppress_prefixlen = -1;
  int32_t suppress_ifgroup = -1;
  uint8_t protocol = 0;      // FRA_PROTOCOL
  uint32_t flags = 0;        // FIB_RULE_* flags other than INVERT (state such as "unresolved")
  std::vector<RawAttr> raw;  // attributes the model does not name, sorted by type

  Record ToRecord() const;
  static Status FromRecord(RecordRef rec, Rule* out);
  std::string Key() const;
  // The key prefix of every rule of `family`, in priority order: the range a lookup scans.
  static std::string FamilyKeyPrefix(uint8_t family);

  bool operator==(const Rule&) const = default;
};

// "lookup", "goto", "nop", "blackhole", "unreachable", "prohibit" or the number.
std::string RuleActionName(uint8_t action);
// "tcp", "udp", "icmp", ... or "ipproto-N" as `ip` prints it.
std::string IpProtoName(uint8_t proto);

}  // namespace netsnap
