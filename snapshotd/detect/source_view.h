// What detectors need to know about a source beyond one version's diff: how many routes (records
// of the kinds in tables) each table holds before and after the version. Kept incrementally from
// version to version and rebuilt from the snapshot when a version does not follow the last one
// seen.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "netsnap/record.h"

namespace netsnap {

class SourceView {
 public:
  // Moves the view to `after`, given the diff from `before`. Call for every version, the
  // daemon's own included, in order.
  void Advance(const Snapshot& before, const Snapshot& after, const Diff& diff);

  const std::map<uint32_t, uint64_t>& routes_before() const { return before_; }
  const std::map<uint32_t, uint64_t>& routes_after() const { return after_; }
  uint64_t RoutesAfter(uint32_t table) const;
  uint64_t RoutesBefore(uint32_t table) const;

 private:
  static void Count(const Snapshot& snap, std::map<uint32_t, uint64_t>* out);
  ContentHash hash_;
  bool valid_ = false;
  std::map<uint32_t, uint64_t> before_;
  std::map<uint32_t, uint64_t> after_;
};

// The table a route is in (TableOfKey), or false for a record of a kind in no table.
bool RouteTable(RecordRef rec, uint32_t* table);

// Damaged record keys plus the keys they derive from (resolver rules and settings: the files
// they come from, which a restore writes). Sorted and unique.
std::vector<std::string> RestoreKeysFor(const std::vector<RecordRef>& damaged);

}  // namespace netsnap
