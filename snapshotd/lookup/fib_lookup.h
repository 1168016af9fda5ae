// The kernel's forwarding decision, answered from a recorded snapshot of a kernel source: the
// policy rules walked by priority (fib_rules_lookup), then the table's longest-prefix match
// (fib_table_lookup / fib6_lookup), with next-hop objects and groups resolved.
//
// Reads records by key range (record_reader.h): a lookup reads the family's rules, and per table
// consulted one key range per prefix length (a route key is kind, family, table, prefix
// address, prefix length, tos, metric; see netsnap/route.h) plus the next-hop objects the
// winning route names, whatever the table's size.
//
// What the record cannot say, and so the answer leaves out: link state (dead or link-down next
// hops), interface groups (suppress_ifgroup), the multipath hash (every path of the winning route
// is listed; the kernel picks one per flow), and the order of rules of equal priority (the kernel
// keeps insertion order; the record sorts them by selectors).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lookup/flow.h"
#include "lookup/record_reader.h"
#include "netsnap/nexthop.h"
#include "netsnap/record.h"
#include "netsnap/route.h"
#include "netsnap/rule.h"
#include "netsnap/status.h"

namespace netsnap::lookup {

// How the walk ended.
enum class Outcome : uint8_t {
  kRoute,        // a route of a forwarding type (unicast, local, broadcast, ...) served the flow
  kRejectRule,   // a rule's action refused it (blackhole, unreachable, prohibit)
  kRejectRoute,  // the winning route refused it (blackhole, unreachable, prohibit, or a
                 // blackhole next-hop object)
  kNoRoute,      // every rule was walked and none gave an answer (ENETUNREACH)
};
// "route", "reject_rule", "reject_route", "no_route".
const char* OutcomeName(Outcome o);

// One rule the walk looked at, and what it did.
struct RuleStep {
  Record rule;
  // "no_match", "goto", "goto_missing", "nop", "no_route" (the table had no covering route),
  // "throw", "suppressed" (suppress_prefixlength), "reject", "chosen".
  std::string what;
  uint32_t table = 0;  // the table it looked in (0 when it did not)
};

// One path of the winning route, next-hop objects resolved.
struct Path {
  Address gateway;
  std::string dev;
  uint16_t weight = 1;
  uint32_t nhid = 0;   // the next-hop object that gave it (0: inline in the route)
  uint32_t group = 0;  // the group it came through (0: none)
  bool operator==(const Path&) const = default;
};

struct Answer {
  Outcome outcome = Outcome::kNoRoute;
  std::optional<Record> rule;   // the rule that decided (absent for kNoRoute)
  uint32_t table = 0;           // the table of the route (0 when no route)
  std::optional<Record> route;  // the winning route
  std::vector<Path> paths;      // kRoute only
  std::vector<RuleStep> walk;   // every rule looked at, in order
  // A rule suppresses on interface groups, which the record does not know; the answer assumed
  // no suppression.
  bool ifgroup_unknown = false;

  // The same decision: outcome, rule, table, route and paths (the walk may differ).
  bool SameDecision(const Answer& o) const {
    return outcome == o.outcome && rule == o.rule && table == o.table && route == o.route &&
           paths == o.paths;
  }
};

// Answers `flow` from `snap`. InvalidArgument when the flow has no destination; Corruption (or the
// codec's error) when a record of the snapshot does not decode.
Status FibLookup(RecordReader* reader, const Flow& flow, Answer* out);
Status FibLookup(const Snapshot& snap, const Flow& flow, Answer* out);

}  // namespace netsnap::lookup
