#include "lookup/fib_lookup.h"

#include <algorithm>
#include <cstring>

#include "lookup/rule_match.h"

namespace netsnap::lookup {

namespace {

constexpr uint8_t kActToTable = 1;
constexpr uint8_t kActGoto = 2;
constexpr uint8_t kActNop = 3;
constexpr uint8_t kRtnThrow = 9;

// Route types whose lookup result is an error (fib_props[].error != 0); throw is EAGAIN.
bool IsRejectType(uint8_t type) { return type >= 6 && type <= 11 && type != kRtnThrow; }

// The key prefix of the routes of `table` whose destination is `dst`'s first `len` bits.
std::string RouteKeyPrefix(uint32_t table, const Address& dst, uint8_t len) {
  Prefix p;
  p.family = dst.family;
  p.len = len;
  std::memcpy(p.addr, dst.addr, sizeof p.addr);
  return Route::DestinationKeyPrefix(table, p);
}

bool HostCovered(const Prefix& p, const Address& a, uint8_t family) {
  if (p.family == 0 || p.len == 0) return true;
  Prefix host;
  host.family = family;
  host.len = static_cast<uint8_t>(family == 10 ? 128 : 32);
  std::copy(std::begin(a.addr), std::end(a.addr), std::begin(host.addr));
  return p.Covers(host);
}

// The paths of `route`, next-hop objects and groups resolved. *blackhole is set when the route
// uses a blackhole next-hop object (the kernel then rejects as for a blackhole route).
Status ResolvePaths(RecordReader* reader, const Route& route, std::vector<Path>* out,
                    bool* blackhole) {
  out->clear();
  *blackhole = false;
  if (route.nhid == 0) {
    if (route.nexthops.empty()) {
      out->push_back({route.gateway, route.dev, 1, 0, 0});
    }
    for (const RouteNexthop& nh : route.nexthops) out->push_back({nh.gateway, nh.dev, nh.weight});
    return Status::OK();
  }
  auto find = [&](uint32_t id, Nexthop* nh, bool* found) -> Status {
    std::optional<Record> rec;
    NETSNAP_RETURN_IF_ERROR(reader->Get(Nexthop::KeyOf(id), &rec));
    *found = rec.has_value();
    return rec ? Nexthop::FromRecord(rec->ref(), nh) : Status::OK();
  };
  Nexthop top;
  bool found = false;
  NETSNAP_RETURN_IF_ERROR(find(route.nhid, &top, &found));
  if (!found) return Status::OK();  // a dangling id: no usable path
  if (top.blackhole) {
    *blackhole = true;
    return Status::OK();
  }
  if (top.group.empty()) {
    out->push_back({top.gateway, top.dev, 1, top.id, 0});
    return Status::OK();
  }
  for (const NexthopGroupMember& m : top.group) {
    Nexthop member;
    NETSNAP_RETURN_IF_ERROR(find(m.id, &member, &found));
    if (found) out->push_back({member.gateway, member.dev, m.weight, member.id, top.id});
  }
  return Status::OK();
}

enum class TableResult { kNone, kThrow, kReject, kFound };

struct TableHit {
  TableResult result = TableResult::kNone;
  Record record;
  Route route;
  std::vector<Path> paths;
  bool blackhole_nexthop = false;
};

// Orders the routes of one prefix length as the kernel tries them: IPv4 by tos (set ones
// first), then metric; IPv6 by source prefix (longest first), then metric.
bool TriedBefore(const Route& a, const Route& b) {
  if (a.family == 10 && a.src.len != b.src.len) return a.src.len > b.src.len;
  if (a.tos != b.tos) return a.tos > b.tos;
  return a.metric < b.metric;
}

// The routes of `table` whose prefix is exactly `len` bits and covers the destination.
Status RoutesAt(RecordReader* reader, const Flow& f, uint32_t table, uint8_t len,
                std::vector<std::pair<Route, Record>>* out) {
  out->clear();
  std::vector<Record> recs;
  NETSNAP_RETURN_IF_ERROR(reader->Scan(RouteKeyPrefix(table, f.dst, len), &recs));
  for (Record& rec : recs) {
    Route r;
    NETSNAP_RETURN_IF_ERROR(Route::FromRecord(rec.ref(), &r).WithContext("route record"));
    out->push_back({std::move(r), std::move(rec)});
  }
  std::stable_sort(out->begin(), out->end(),
                   [](const auto& a, const auto& b) { return TriedBefore(a.first, b.first); });
  return Status::OK();
}

// fib_table_lookup: the longest prefix first; a length whose every route is skipped (tos,
// source prefix, output interface) falls back to the next shorter one.
Status TableLookup(RecordReader* reader, const Flow& f, uint32_t table, TableHit* hit) {
  const uint8_t family = f.dst.family;
  std::vector<std::pair<Route, Record>> routes;
  for (int len = family == 10 ? 128 : 32; len >= 0; --len) {
    NETSNAP_RETURN_IF_ERROR(RoutesAt(reader, f, table, static_cast<uint8_t>(len), &routes));
    for (auto& [route, record] : routes) {
      if (family == 2 && route.tos != 0 && (route.tos & 0xfc) != (f.tos & 0xfc)) continue;
      if (family == 10 && route.src.len > 0 &&
          (f.src.empty() || !HostCovered(route.src, f.src, family))) {
        continue;
      }
      hit->record = record;
      hit->route = route;
      if (route.type == kRtnThrow) {
        hit->result = TableResult::kThrow;
        return Status::OK();
      }
      if (IsRejectType(route.type)) {
        hit->result = TableResult::kReject;
        return Status::OK();
      }
      NETSNAP_RETURN_IF_ERROR(ResolvePaths(reader, route, &hit->paths, &hit->blackhole_nexthop));
      if (hit->blackhole_nexthop) {
        hit->result = TableResult::kReject;
        return Status::OK();
      }
      if (!f.oif.empty()) {
        std::erase_if(hit->paths, [&](const Path& p) { return p.dev != f.oif; });
      }
      if (hit->paths.empty()) continue;  // no usable path: the kernel tries the next alias
      hit->result = TableResult::kFound;
      return Status::OK();
    }
  }
  hit->result = TableResult::kNone;
  return Status::OK();
}

// The rules of the flow's family, in priority order.
Status FamilyRules(RecordReader* reader, uint8_t family,
                   std::vector<std::pair<Rule, Record>>* out) {
  std::vector<Record> recs;
  NETSNAP_RETURN_IF_ERROR(reader->Scan(Rule::FamilyKeyPrefix(family), &recs));
  for (Record& rec : recs) {
    Rule r;
    NETSNAP_RETURN_IF_ERROR(Rule::FromRecord(rec.ref(), &r).WithContext("rule record"));
    out->push_back({std::move(r), std::move(rec)});
  }
  return Status::OK();
}

// The index of the first rule at or after `from` with priority `target`; rules.size() if none.
size_t GotoTarget(const std::vector<std::pair<Rule, Record>>& rules, size_t from, uint32_t target) {
  for (size_t j = from; j < rules.size(); ++j) {
    if (rules[j].first.priority == target) return j;
    if (rules[j].first.priority > target) break;
  }
  return rules.size();
}

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kRoute:
      return "route";
    case Outcome::kRejectRule:
      return "reject_rule";
    case Outcome::kRejectRoute:
      return "reject_route";
    case Outcome::kNoRoute:
      return "no_route";
  }
  return "unknown";
}

Status FibLookup(const Snapshot& snap, const Flow& flow, Answer* out) {
  SnapshotReader reader(snap);
  return FibLookup(&reader, flow, out);
}

Status FibLookup(RecordReader* reader, const Flow& flow, Answer* out) {
  *out = Answer{};
  if (flow.dst.empty()) return Status::InvalidArgument("a lookup needs a destination address");
  if (!flow.src.empty() && flow.src.family != flow.dst.family) {
    return Status::InvalidArgument("source and destination addresses are of different families");
  }
  std::vector<std::pair<Rule, Record>> rules;
  NETSNAP_RETURN_IF_ERROR(FamilyRules(reader, flow.dst.family, &rules));
  for (size_t i = 0; i < rules.size();) {
    const auto& [rule, record] = rules[i];
    RuleStep step{record, "", 0};
    if (!RuleMatches(rule, flow)) {
      step.what = "no_match";
    } else if (rule.action == kActGoto) {
      // The kernel refuses a goto to a lower or equal priority, so a jump only moves forward.
      size_t j = GotoTarget(rules, i + 1, rule.goto_target);
      step.what = j < rules.size() ? "goto" : "goto_missing";
      out->walk.push_back(std::move(step));
      i = j < rules.size() ? j : i + 1;
      continue;
    } else if (rule.action == kActNop) {
      step.what = "nop";
    } else if (rule.action != kActToTable) {
      step.what = "reject";
      out->walk.push_back(std::move(step));
      out->outcome = Outcome::kRejectRule;
      out->rule = record;
      return Status::OK();
    } else {
      step.table = rule.table;
      TableHit hit;
      NETSNAP_RETURN_IF_ERROR(TableLookup(reader, flow, rule.table, &hit));
      if (hit.result == TableResult::kNone) {
        step.what = "no_route";
      } else if (hit.result == TableResult::kThrow) {
        step.what = "throw";
      } else if (hit.result == TableResult::kFound && rule.suppress_prefixlen >= 0 &&
                 hit.route.dst.len <= rule.suppress_prefixlen) {
        step.what = "suppressed";
      } else {
        step.what = hit.result == TableResult::kReject ? "reject" : "chosen";
        out->walk.push_back(std::move(step));
        out->outcome = hit.result == TableResult::kReject ? Outcome::kRejectRoute : Outcome::kRoute;
        out->rule = record;
        out->table = rule.table;
        out->route = std::move(hit.record);
        out->paths = std::move(hit.paths);
        out->ifgroup_unknown = hit.result == TableResult::kFound && rule.suppress_ifgroup >= 0;
        return Status::OK();
      }
    }
    out->walk.push_back(std::move(step));
    ++i;
  }
  out->outcome = Outcome::kNoRoute;
  return Status::OK();
}

}  // namespace netsnap::lookup
