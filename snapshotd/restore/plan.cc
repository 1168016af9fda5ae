#include "restore/plan.h"

#include <map>
#include <set>

#include "netsnap/nexthop.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"

namespace netsnap {

namespace {

// Resolver rules for the scope's domains come from files: a restore writes those files whole.
RollbackScope WidenToFiles(const Snapshot& live, const Snapshot& target,
                           const RollbackScope& scope) {
  if (scope.domains.empty()) return scope;
  RollbackScope files;
  files.files = scope.files;
  RollbackScope rules;
  rules.domains = scope.domains;
  for (const Snapshot* s : {&live, &target}) {
    for (RecordRef r : *s) {
      if (KindOfKey(r.key) != RecordKind::kResolverRule || !InScope(rules, r)) continue;
      ResolverRule rule;
      if (ResolverRule::FromRecord(r, &rule).ok() && !rule.origin.empty()) {
        files.files.push_back(rule.origin);
      }
    }
  }
  if (files.files.empty()) files.files.push_back("");  // nothing to write
  return files;
}

bool HasGateway(const Route& r) { return !r.gateway.empty() || !r.nexthops.empty() || r.nhid; }

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
  if (plan.removes == 0) return Status::OK();  // every reason below is about removals
  std::vector<std::string> reasons;
  std::map<uint32_t, uint64_t> routes_per_table, removed_per_table, added_per_table;
  for (RecordRef r : live) {
    uint32_t table;
    if (Route::TableOfKey(r.key, &table)) ++routes_per_table[table];
  }
  std::set<std::string> default_routes;
  for (const Change& c : plan.changes) {
    if (KindOfKey(c.key) != RecordKind::kRoute) continue;
    Route rt;
    if (c.value) {
      uint32_t table;
      if (Route::TableOfKey(c.key, &table)) ++added_per_table[table];
      continue;
    }
    auto old = live.Find(c.key);
    if (!old || !Route::FromRecord(*old, &rt).ok()) continue;
    ++removed_per_table[rt.table];
    if (rt.dst.len == 0) {
      default_routes.insert(std::string(rt.family == 10 ? "IPv6" : "IPv4") + " default route " +
                            "in table " + TableName(rt.table));
    }
  }
  if (live.size() > 0 &&
      static_cast<double>(plan.removes) > o.max_remove_share * static_cast<double>(live.size())) {
    reasons.push_back("it would remove " + std::to_string(plan.removes) + " of " +
                      std::to_string(live.size()) + " live records, more than the " +
                      std::to_string(static_cast<int>(o.max_remove_share * 100 + 0.5)) + "% limit");
  }
  for (const auto& [table, removed] : removed_per_table) {
    if (removed == routes_per_table[table] && added_per_table[table] == 0) {
      reasons.push_back("it would empty table " + TableName(table) + " (" +
                        std::to_string(removed) + " routes)");
    }
  }
  for (const std::string& d : default_routes) reasons.push_back("it would remove the " + d);
  if (reasons.empty()) return Status::OK();
  std::string msg = "rollback refused: ";
  for (size_t i = 0; i < reasons.size(); ++i) msg += (i ? "; " : "") + reasons[i];
  msg += ". Repeat with \"force\": true and a \"reason\" if this is intended.";
  return Status::Refused(msg);
}

std::vector<Delta> OrderForApply(const Delta& changes, const Snapshot& live) {
  enum Phase {
    kNexthopPut,
    kGroupPut,
    kConnectedPut,
    kGatewayPut,
    kRulePut,
    kRuleDel,
    kGatewayDel,
    kConnectedDel,
    kGroupDel,
    kNexthopDel,
    kPhases
  };
  std::vector<Delta> phases(kPhases);
  for (const Change& c : changes) {
    RecordKind kind = KindOfKey(c.key);
    std::string_view value;
    std::string old;
    if (c.value) {
      value = *c.value;
    } else if (auto o = live.Find(c.key)) {
      old.assign(o->value);
      value = old;
    }
    Phase ph = c.value ? kConnectedPut : kConnectedDel;
    if (kind == RecordKind::kRoute) {
      Route r;
      bool gw = Route::FromRecord({c.key, value}, &r).ok() && HasGateway(r);
      ph = c.value ? (gw ? kGatewayPut : kConnectedPut) : (gw ? kGatewayDel : kConnectedDel);
    } else if (kind == RecordKind::kRule) {
      ph = c.value ? kRulePut : kRuleDel;
    } else if (kind == RecordKind::kNexthop) {
      Nexthop nh;
      bool group = Nexthop::FromRecord({c.key, value}, &nh).ok() && !nh.group.empty();
      ph = c.value ? (group ? kGroupPut : kNexthopPut) : (group ? kGroupDel : kNexthopDel);
    }
    phases[ph].push_back(c);
  }
  std::erase_if(phases, [](const Delta& d) { return d.empty(); });
  return phases;
}

}  // namespace netsnap
