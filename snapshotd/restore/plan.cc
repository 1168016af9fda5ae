#include "restore/plan.h"

#include <map>
#include <set>

#include "netsnap/record_kind.h"
#include "netsnap/route.h"

namespace netsnap {

namespace {

// Records for the scope's domains (resolver rules) derive from files, their origin: a restore
// writes those files whole.
RollbackScope WidenToFiles(const Snapshot& live, const Snapshot& target,
                           const RollbackScope& scope) {
  if (scope.domains.empty()) return scope;
  RollbackScope files;
  files.files = scope.files;
  RollbackScope by_domain;
  by_domain.domains = scope.domains;
  for (const Snapshot* s : {&live, &target}) {
    for (RecordRef r : *s) {
      if (!InScope(by_domain, r)) continue;
      std::string origin = OriginKeyOf(r);
      // A file's path is its key: the facet holds without the file's value.
      std::optional<std::string> path = FacetsOf({origin, ""}).path;
      if (path && !path->empty()) files.files.push_back(*path);
    }
  }
  if (files.files.empty()) files.files.push_back("");  // nothing to write
  return files;
}

// The group a record is counted in by the guard: its table when its kind is in tables, else
// its kind's group; "" for records it does not count (resolver settings: a file's settings come
// and go with its rules; a kind unknown to the table).
std::string GuardGroupOf(std::string_view key) {
  const RecordKindOps* kind = KindOpsOf(key);
  if (!kind) return "";
  uint32_t table;
  if (kind->table_of_key && kind->table_of_key(key, &table)) return "table " + TableName(table);
  return std::string(kind->group);
}

}  // namespace

RollbackPlan MakePlan(const Snapshot& live, const Snapshot& target, const RollbackScope& scope) {
  RollbackPlan p;
  p.live_hash = live.hash();
  p.live_records = live.size();
  p.apply_scope = WidenToFiles(live, target, scope);
  p.changes = ScopedDelta(live, target, p.apply_scope);
  DiffCounts c = CountDelta(live, p.changes);
  p.adds = c.added;
  p.removes = c.removed;
  p.replaces = c.changed;
  return p;
}

Status CheckBlastRadius(const Snapshot& live, const RollbackPlan& plan, const GuardOptions& o) {
  // Net change per group first: only groups the plan shrinks need their live records counted.
  std::map<std::string, int64_t> net;
  std::set<std::pair<uint32_t, uint8_t>> defaults_removed, defaults_added;  // (table, family)
  bool root_servers_before = false, root_servers_after = false, root_touched = false;
  // A record in a table whose destination is 0/0 or ::/0 (from any source) is that table's
  // default route.
  auto default_of = [](const RecordFacets& f) -> std::optional<std::pair<uint32_t, uint8_t>> {
    if (!f.table || !f.destination || f.destination->len != 0) return std::nullopt;
    return std::pair{*f.table, f.destination->family};
  };
  for (const Change& c : plan.changes) {
    auto old = live.Find(c.key);
    if (old) --net[GuardGroupOf(c.key)];
    if (c.value) ++net[GuardGroupOf(c.key)];
    // The old value is decoded only where it counts: a removal, or a replaced domain's rule.
    const RecordFacets is = c.value ? FacetsOf({c.key, *c.value}) : RecordFacets();
    const RecordFacets was = old && (!c.value || is.domain) ? FacetsOf(*old) : RecordFacets();
    if (auto d = default_of(was); d && !c.value) defaults_removed.insert(*d);
    if (auto d = default_of(is)) defaults_added.insert(*d);
    if (was.domain == "." || is.domain == ".") {
      root_touched = true;
      root_servers_before = was.servers > 0;
      root_servers_after = is.servers > 0;
    }
  }
  std::erase_if(net, [](const auto& g) { return g.second >= 0 || g.first.empty(); });
  std::map<std::string, int64_t> live_count;
  if (!net.empty()) {
    for (RecordRef r : live) {
      std::string g = GuardGroupOf(r.key);
      if (net.count(g)) ++live_count[g];
    }
  }
  std::vector<std::string> reasons;
  for (const auto& [group, change] : net) {
    int64_t before = live_count[group], after = before + change, fewer = -change;
    std::string counts = group + ": " + std::to_string(before) + " -> " + std::to_string(after);
    if (after <= 0) {
      reasons.push_back(counts + " (it would empty " + group + ")");
    } else if (static_cast<double>(fewer) > o.shrink_share * static_cast<double>(before) &&
               static_cast<uint64_t>(fewer) >= o.min_records) {
      reasons.push_back(counts + " (" + std::to_string(fewer) + " fewer, more than " +
                        std::to_string(static_cast<int>(o.shrink_share * 100 + 0.5)) +
                        "% and at least " + std::to_string(o.min_records) + ")");
    }
  }
  for (const auto& [table, family] : defaults_removed) {
    if (defaults_added.count({table, family})) continue;  // replaced
    reasons.push_back("table " + TableName(table) + ": it would remove the " +
                      (family == 10 ? "IPv6" : "IPv4") + " default route");
  }
  if (root_touched && root_servers_before && !root_servers_after) {
    reasons.push_back("resolver rules: it would remove the last server of the default domain");
  }
  if (reasons.empty()) return Status::OK();
  std::string msg = "rollback refused: ";
  for (size_t i = 0; i < reasons.size(); ++i) msg += (i ? "; " : "") + reasons[i];
  msg += ". Repeat with \"force\": true and a \"reason\" if this is intended.";
  return Status::Refused(msg);
}

}  // namespace netsnap
