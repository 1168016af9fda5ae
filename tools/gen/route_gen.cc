#include "gen/route_gen.h"

#include <random>
#include <unordered_set>

namespace netsnap::tools {

namespace {

// Prefix lengths weighted roughly as in public BGP tables.
uint8_t Ipv4Length(std::mt19937_64& rng) {
  uint32_t x = rng() % 100;
  if (x < 58) return 24;
  if (x < 66) return 23;
  if (x < 74) return 22;
  if (x < 80) return 21;
  if (x < 85) return 20;
  if (x < 89) return 19;
  if (x < 93) return 16;
  if (x < 97) return static_cast<uint8_t>(17 + rng() % 2);
  return static_cast<uint8_t>(8 + rng() % 8);
}

uint8_t Ipv6Length(std::mt19937_64& rng) {
  uint32_t x = rng() % 100;
  if (x < 45) return 48;
  if (x < 60) return 32;
  if (x < 75) return static_cast<uint8_t>(33 + rng() % 15);
  if (x < 85) return static_cast<uint8_t>(29 + rng() % 3);
  return static_cast<uint8_t>(49 + rng() % 16);
}

void MaskTo(Prefix* p) {
  for (size_t bit = p->len; bit < p->addr_size() * 8; ++bit) {
    p->addr[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
}

Address Gateway(uint8_t family, uint32_t n) {
  Address a;
  a.family = family;
  if (family == 2) {
    a.addr[0] = 10;
    a.addr[1] = 99;
    a.addr[2] = 0;
    a.addr[3] = static_cast<uint8_t>(3 + n);
  } else {
    a.addr[0] = 0xfd;
    a.addr[2] = 0x00;
    a.addr[3] = 0x99;
    a.addr[15] = static_cast<uint8_t>(2 + n);
  }
  return a;
}

}  // namespace

std::vector<Route> GenerateRoutes(const GenOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<Route> out;
  out.reserve(o.routes);
  std::unordered_set<std::string> keys;
  keys.reserve(o.routes * 2);
  while (out.size() < o.routes) {
    Route r;
    r.family = unit(rng) < o.ipv6_share ? 10 : 2;
    r.dst.family = r.family;
    if (r.family == 2) {
      r.dst.len = Ipv4Length(rng);
      uint32_t a = static_cast<uint32_t>(rng());
      a = (a & 0x00ffffff) | (static_cast<uint32_t>(1 + rng() % 223) << 24);  // unicast first octet
      if ((a >> 24) == 10 || (a >> 24) == 127) a ^= 0x40000000;
      for (int i = 0; i < 4; ++i) r.dst.addr[i] = static_cast<uint8_t>(a >> (24 - 8 * i));
    } else {
      r.dst.len = Ipv6Length(rng);
      r.dst.addr[0] = 0x20;
      r.dst.addr[1] = static_cast<uint8_t>(rng() % 16);
      for (int i = 2; i < 16; ++i) r.dst.addr[i] = static_cast<uint8_t>(rng());
    }
    MaskTo(&r.dst);
    uint32_t t = static_cast<uint32_t>(rng() % (o.tables ? o.tables : 1));
    r.table = t == 0 ? 254 : 99 + t;
    r.protocol = rng() % 10 < 8 ? 186 : 4;  // bgp, static
    r.metric = rng() % 4 == 0 ? 20 : 0;
    if (r.family == 10 && r.metric == 0) r.metric = 1024;  // the kernel's IPv6 default
    if (unit(rng) < o.multipath_share) {
      uint32_t n = 2 + static_cast<uint32_t>(rng() % 2);
      uint32_t first = static_cast<uint32_t>(rng() % 6);
      for (uint32_t i = 0; i < n; ++i) {
        RouteNexthop nh;
        nh.gateway = Gateway(r.family, first + i);
        nh.dev = o.dev;
        nh.weight = static_cast<uint16_t>(1 + rng() % 3);
        r.nexthops.push_back(nh);
      }
    } else {
      r.gateway = Gateway(r.family, static_cast<uint32_t>(rng() % 8));
      r.dev = o.dev;
    }
    std::string key = r.Key();
    if (keys.insert(key).second) out.push_back(std::move(r));
  }
  return out;
}

std::string IpBatchLine(const Route& r) {
  std::string s = "route add ";  // ip infers the family from the address
  s += r.dst.len == 0 ? "default" : r.dst.ToString();
  if (r.dst.len == r.dst.addr_size() * 8) s += "/" + std::to_string(r.dst.len);
  if (!r.gateway.empty()) s += " via " + r.gateway.ToString();
  if (!r.dev.empty()) s += " dev " + r.dev;
  s += " table " + std::to_string(r.table);
  s += " proto " + std::to_string(r.protocol);
  if (r.metric) s += " metric " + std::to_string(r.metric);
  for (const RouteNexthop& nh : r.nexthops) {
    s += " nexthop via " + nh.gateway.ToString() + " dev " + nh.dev + " weight " +
         std::to_string(nh.weight);
  }
  return s;
}

}  // namespace netsnap::tools
