// Rollback plans: what must change to make the live state equal a target version within a
// scope, and the blast-radius guard. In which order the changes reach the live state is the
// source's to decide (Source::Apply).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "restore/scope.h"

namespace netsnap {

struct RollbackPlan {
  ContentHash live_hash;  // of the whole live state the plan was made from
  uint64_t live_records = 0;
  RollbackScope apply_scope;  // what changes touch (resolver domains widened to their files)
  Delta changes;              // sorted by key
  uint64_t adds = 0, removes = 0, replaces = 0;
};

// The changes that make `live` equal `target` within `scope`.
RollbackPlan MakePlan(const Snapshot& live, const Snapshot& target, const RollbackScope& scope);

struct GuardOptions {
  // A group shrinks too much when the target holds fewer records than live by more than this
  // share of the live count AND by at least min_records.
  double shrink_share = 0.25;
  uint64_t min_records = 10;
};

// The blast-radius guard, for rollbacks and automated restores alike. Records are counted per
// group: routes per table, rules, next-hop objects, resolver rules per file they come from,
// resolver files. Refused, listing for every offending group its live -> target counts and the
// reasons, when the plan would shrink a group too much (see GuardOptions), empty a group that has
// records, remove the last default route (0.0.0.0/0 or ::/0) of a table, or remove the last
// server of a resolver's default domain ("."). Replacements, and removals offset by additions in
// the same group, are not shrink.
Status CheckBlastRadius(const Snapshot& live, const RollbackPlan& plan, const GuardOptions& opts);

}  // namespace netsnap
