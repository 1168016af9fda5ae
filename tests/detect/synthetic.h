// Synthetic snapshots and versions for detector unit tests: no kernel, no store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/recorder.h"
#include "detect/detector.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"
#include "netsnap/rule.h"

namespace netsnap::testing {

// A unicast route to `dst` in `table` via `gw` on a0, protocol static (4) unless given.
Route MakeRoute(const std::string& dst, uint32_t table = 254, const std::string& gw = "10.99.0.2",
                uint8_t protocol = 4);
// n routes 10.<table%250>.i.0/24 (i < n) in `table`.
std::vector<Route> MakeRoutes(uint32_t table, int n);
Rule MakeLookupRule(uint32_t priority, uint32_t table);
Snapshot SnapshotOf(const std::vector<Record>& records);
std::vector<Record> RecordsOf(const std::vector<Route>& routes);

// Feeds versions of one source to a set of detectors, as Detection does.
class Harness {
 public:
  Harness();
  DetectPolicy policy;
  Actor actor{4242, "ip", "ip route del 10.0.0.0/24"};
  // Commits `next` as the next version at time t_ms (milliseconds); returns the findings.
  std::vector<Finding> Commit(const Snapshot& next, int64_t t_ms);
  const Snapshot& current() const { return current_; }
  uint64_t version() const { return version_; }

 private:
  std::vector<std::pair<std::string_view, std::unique_ptr<Detector>>> detectors_;
  SourceView view_;
  Snapshot current_;
  uint64_t version_ = 0;
};

// The findings of `kind`.
std::vector<Finding> OfKind(const std::vector<Finding>& all, const std::string& kind);

}  // namespace netsnap::testing
