// The part of a source a rollback may touch. An empty scope is the whole source; each non-empty
// list narrows it: a record must match every list given, by its facets (netsnap/record_kind.h),
// and a list for a facet its kind lacks (a prefix for a rule) does not select it.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/route.h"
#include "netsnap/status.h"

namespace netsnap {

struct RollbackScope {
  std::vector<uint32_t> tables;      // routes in these tables; rules that point to them
  std::vector<Prefix> prefixes;      // routes whose destination a prefix covers
  std::vector<RecordKind> kinds;     // route, rule, nexthop, resolver_rule, file...
  std::vector<std::string> domains;  // resolver rules for these domains (and subdomains)
  std::vector<std::string> files;    // resolver files by path
  std::vector<std::string> keys;     // exact record keys, sorted (automated restores)

  bool empty() const {
    return tables.empty() && prefixes.empty() && kinds.empty() && domains.empty() &&
           files.empty() && keys.empty();
  }
};

// Parses {"kinds":["route"],"tables":["main",100],"prefixes":["10.0.0.0/8"],"domains":[…],
// "files":[…]}; InvalidArgument names the bad field.
Status ScopeFromJson(const boost::json::object& o, RollbackScope* out);

// True when the record is inside the scope.
bool InScope(const RollbackScope& scope, RecordRef rec);
// The records of `snap` inside the scope.
Snapshot Restrict(const Snapshot& snap, const RollbackScope& scope);
// The changes that turn `from` into `to` inside the scope: ComputeDelta of the two restricted
// snapshots. A scope of record keys costs the keys, not the snapshots.
Delta ScopedDelta(const Snapshot& from, const Snapshot& to, const RollbackScope& scope);

}  // namespace netsnap
