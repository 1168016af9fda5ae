#include "route_tables.h"

#include "netsnap/route.h"

namespace netsnap::testing {

Record RouteRecord(uint32_t i, uint32_t variant) {
  Route r;
  // Addresses scattered like a real table's, so that compression has real work to do.
  uint32_t a = i * 2654435761u;
  r.dst.family = 2;
  r.dst.len = 32;
  r.dst.addr[0] = static_cast<uint8_t>(a >> 24);
  r.dst.addr[1] = static_cast<uint8_t>(a >> 16);
  r.dst.addr[2] = static_cast<uint8_t>(a >> 8);
  r.dst.addr[3] = static_cast<uint8_t>(a);
  r.gateway.family = 2;
  r.gateway.addr[0] = 192;
  r.gateway.addr[1] = 0;
  r.gateway.addr[2] = 2;
  r.gateway.addr[3] = static_cast<uint8_t>(1 + (i + variant) % 4);
  r.dev = "a0";
  r.protocol = 4;
  return r.ToRecord();
}

RouteTable::RouteTable(uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) routes_[i] = 0;
  next_ = n;
}

void RouteTable::Mutate(std::mt19937* rng, uint32_t changes) {
  for (uint32_t c = 0; c < changes; ++c) {
    uint32_t op = (*rng)() % 3;
    auto it = routes_.lower_bound((*rng)() % (next_ + 1));
    if (it == routes_.end()) it = routes_.begin();
    if (op == 0 && it != routes_.end()) {
      routes_.erase(it);
    } else if (op == 1 && it != routes_.end()) {
      ++it->second;
    } else {
      routes_[next_++] = 0;
    }
  }
}

Snapshot RouteTable::ToSnapshot() const {
  std::vector<Record> recs;
  recs.reserve(routes_.size());
  for (const auto& [i, v] : routes_) recs.push_back(RouteRecord(i, v));
  Snapshot s;
  (void)Snapshot::FromRecords(std::move(recs), &s);
  return s;
}

}  // namespace netsnap::testing
