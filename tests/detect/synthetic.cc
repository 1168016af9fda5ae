#include "synthetic.h"

#include <cassert>

namespace netsnap::testing {

Route MakeRoute(const std::string& dst, uint32_t table, const std::string& gw, uint8_t protocol) {
  Route r;
  Status s = Prefix::Parse(dst, &r.dst);
  assert(s.ok());
  r.family = r.dst.family;
  r.table = table;
  r.protocol = protocol;
  if (!gw.empty()) {
    s = Address::Parse(gw, &r.gateway);
    assert(s.ok());
  }
  (void)s;
  r.dev = "a0";
  return r;
}

std::vector<Route> MakeRoutes(uint32_t table, int n) {
  std::vector<Route> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        MakeRoute("10." + std::to_string(table % 250) + "." + std::to_string(i) + ".0/24", table));
  }
  return out;
}

Rule MakeLookupRule(uint32_t priority, uint32_t table) {
  Rule r;
  r.priority = priority;
  r.action = 1;
  r.table = table;
  return r;
}

Snapshot SnapshotOf(const std::vector<Record>& records) {
  Snapshot s;
  Status st = Snapshot::FromRecords(records, &s);
  assert(st.ok());
  (void)st;
  return s;
}

std::vector<Record> RecordsOf(const std::vector<Route>& routes) {
  std::vector<Record> out;
  for (const Route& r : routes) out.push_back(r.ToRecord());
  return out;
}

Harness::Harness() {
  for (const DetectorEntry& e : AllDetectors()) detectors_.emplace_back(e.name, e.make());
}

std::vector<Finding> Harness::Commit(const Snapshot& next, int64_t t_ms) {
  VersionCommitted v;
  v.source = "test";
  v.previous.version = version_;
  v.current.version = ++version_;
  v.current.time_ns = t_ms * 1000000;
  v.current.cause = version_ == 1 ? Cause::kStartup : Cause::kEvent;
  v.current.actor = actor;
  v.before = current_;
  v.after = next;
  Diff diff = ComputeDiff(v.before, v.after);
  view_.Advance(v.before, v.after, diff);
  current_ = next;
  std::vector<Finding> out;
  if (v.previous.version == 0) return out;
  DetectContext ctx{policy, view_, diff, v.current.time_ns};
  for (auto& [name, d] : detectors_) {
    if (policy.RunsDetector(name)) d->Inspect(v, ctx, &out);
  }
  return out;
}

std::vector<Finding> OfKind(const std::vector<Finding>& all, const std::string& kind) {
  std::vector<Finding> out;
  for (const Finding& f : all) {
    if (f.kind == kind) out.push_back(f);
  }
  return out;
}

}  // namespace netsnap::testing
