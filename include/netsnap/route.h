// Route records: one kernel route. Field names follow `ip -j route show`.
//
// Key (what makes two routes different routes): family, table, destination prefix, tos, metric
// and, for IPv6, the source prefix. Everything else is the value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"

namespace netsnap {

// An address prefix in binary form. family is AF_INET (2) or AF_INET6 (10).
struct Prefix {
  uint8_t family = 0;
  uint8_t len = 0;
  uint8_t addr[16] = {};

  size_t addr_size() const { return family == 10 ? 16 : 4; }
  // "10.0.0.0/8", "2001:db8::/32"; a host route prints without "/32" or "/128"; "default" for /0.
  std::string ToString() const;
  // Parses the forms ToString prints, plus a plain address (a host prefix).
  static Status Parse(std::string_view text, Prefix* out);
  // True when this prefix covers (contains) `other`.
  bool Covers(const Prefix& other) const;
  bool operator==(const Prefix& o) const;
};

// A plain address ("192.0.2.1", "fe80::1"); family 0 means absent.
struct Address {
  uint8_t family = 0;
  uint8_t addr[16] = {};
  bool empty() const { return family == 0; }
  std::string ToString() const;
  static Status Parse(std::string_view text, Address* out);
  bool operator==(const Address& o) const;
};

struct RouteNexthop {
  Address gateway;
  std::string dev;      // interface name; never an ifindex
  uint16_t weight = 1;  // as `ip` prints it (rtnh_hops + 1)
  uint32_t flags = 0;   // RTNH_F_* (onlink = 4)
  bool operator==(const RouteNexthop&) const = default;
};

// An rtnetlink attribute the model does not name, kept so that a restore is faithful.
struct RawAttr {
  uint16_t type = 0;
  std::string data;
  bool operator==(const RawAttr&) const = default;
};

struct Route {
  // Key.
  uint8_t family = 2;  // AF_INET or AF_INET6
  uint32_t table = 254;
  Prefix dst;
  uint8_t tos = 0;
  uint32_t metric = 0;  // RTA_PRIORITY
  Prefix src;           // IPv6 source prefix (RTA_SRC); family 0 when absent

  // Value.
  uint8_t type = 1;      // RTN_UNICAST, RTN_BLACKHOLE (6), RTN_UNREACHABLE (7), RTN_PROHIBIT (8)...
  uint8_t protocol = 3;  // RTPROT_BOOT
  uint8_t scope = 0;     // RT_SCOPE_UNIVERSE
  uint32_t flags = 0;    // RTM_F_* / RTNH_F_* flags of the route
  Address gateway;
  std::string dev;
  Address prefsrc;
  uint32_t nhid = 0;  // next-hop object id; when set, gateway/dev/nexthops stay empty
  std::vector<RouteNexthop> nexthops;                  // multipath
  std::vector<std::pair<uint16_t, uint32_t>> metrics;  // RTAX_* (mtu = 2, ...), sorted by type
  std::vector<RawAttr> raw;                            // sorted by type

  // Canonical record encoding.
  Record ToRecord() const;
  static Status FromRecord(RecordRef rec, Route* out);
  // Whether a route record's value sends traffic through a next hop (a gateway, several next hops
  // or a next-hop object), read without decoding the rest: the kernel's apply order asks this of
  // every route it puts (100,000 routes: 3-11 ms, where FromRecord took 24-48 ms on a loaded
  // 2-core machine). False when the value is damaged.
  static bool ValueIsVia(std::string_view value);
  // The record key alone (the same bytes as ToRecord().key).
  std::string Key() const;
  // The table of a route record's key, read without decoding the rest; false when `key` is
  // not a route's.
  static bool TableOfKey(std::string_view key, uint32_t* table);
  // The key prefix of every route of `family`, and of the routes of `table` to `dst` (any tos,
  // metric or source; dst's bits past its length ignored): the ranges histories and lookups
  // scan.
  static std::string FamilyKeyPrefix(uint8_t family);
  static std::string DestinationKeyPrefix(uint32_t table, const Prefix& dst);

  bool operator==(const Route&) const = default;
};

// Names as `ip` prints them ("main", "local", "default" or the number).
std::string TableName(uint32_t table);
std::string ProtocolName(uint8_t proto);
std::string ScopeName(uint8_t scope);
std::string RouteTypeName(uint8_t type);

}  // namespace netsnap
