// What detectors need to know about a source beyond one version's diff: how many routes each
// table holds before and after the version. Kept incrementally from version to version and
// rebuilt from the snapshot when a version does not follow the last one seen.
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

// The table of a route record, or false when the record is not a route that decodes.
bool RouteTable(RecordRef rec, uint32_t* table);

// The kFile key of the file a resolver rule or setting came from, or "" when it has none.
std::string OriginFileKey(RecordRef rec);

// Damaged record keys plus, for resolver rules and settings, the files they come from (a
// restore writes files). Sorted and unique.
std::vector<std::string> RestoreKeysFor(const std::vector<RecordRef>& damaged);

}  // namespace netsnap
