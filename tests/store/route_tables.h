// Small synthetic route tables for store tests.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "netsnap/record.h"

namespace netsnap::testing {

// Route i of a synthetic table: a host route to a scattered address via one of four gateways.
Record RouteRecord(uint32_t i, uint32_t variant = 0);

// A mutable table of routes keyed by index, turned into snapshots.
class RouteTable {
 public:
  explicit RouteTable(uint32_t n);
  // Removes, changes and adds about `changes` routes at random.
  void Mutate(std::mt19937* rng, uint32_t changes);
  Snapshot ToSnapshot() const;

 private:
  std::map<uint32_t, uint32_t> routes_;  // index -> variant
  uint32_t next_ = 0;
};

}  // namespace netsnap::testing
