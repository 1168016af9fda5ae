#include "restore/plan.h"

#include <map>
#include <set>

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

// The group a record is counted in by the guard; "" for records it does not count (resolver
// settings: a file's settings come and go with its rules).
std::string GuardGroupOf(std::string_view key) {
  switch (KindOfKey(key)) {
    case RecordKind::kRoute: {
      uint32_t table;
      return Route::TableOfKey(key, &table) ? "table " + TableName(table) : "routes";
    }
    case RecordKind::kRule:
      return "rules";
    case RecordKind::kNexthop:
      return "next-hop objects";
    case RecordKind::kResolverRule:
      return "resolver rules";
    case RecordKind::kFile:
      return "resolver files";
    default:
      return "";
  }
}

// A forwarding rule with at least one server.
bool HasServers(RecordRef rec) {
  ResolverRule rule;
  return ResolverRule::FromRecord(rec, &rule).ok() && rule.type == ResolverRuleType::kForward &&
         !rule.targets.empty();
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
  const std::string root_key = ResolverRule::KeyFor(".");
  for (const Change& c : plan.changes) {
    auto old = live.Find(c.key);
    if (old) --net[GuardGroupOf(c.key)];
    if (c.value) ++net[GuardGroupOf(c.key)];
    RecordKind kind = KindOfKey(c.key);
    if (kind == RecordKind::kRoute) {
      Route rt;
      if (old && !c.value && Route::FromRecord(*old, &rt).ok() && rt.dst.len == 0) {
        defaults_removed.insert({rt.table, rt.family});
      }
      if (c.value && Route::FromRecord({c.key, *c.value}, &rt).ok() && rt.dst.len == 0) {
        defaults_added.insert({rt.table, rt.family});
      }
    } else if (kind == RecordKind::kResolverRule && c.key == root_key) {
      root_touched = true;
      root_servers_before = old && HasServers(*old);
      root_servers_after = c.value && HasServers({c.key, *c.value});
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
