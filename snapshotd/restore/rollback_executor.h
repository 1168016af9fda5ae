// The rollback executor: what a rollback does to a source. It resolves the target version,
// plans against the live state (again when the state changes under the plan), guards the
// blast radius, applies the whole plan with one Source::Apply (the source orders the changes;
// restore/ decides what changes, never in which kernel order), verifies the live state against
// the target, and reverts to the version before.
//
// It keeps no state between calls and takes no lock: RollbackManager lets one rollback at a
// time work on a source, journals before the executor acts and owns the states.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/recorder.h"
#include "netsnap/store.h"
#include "restore/plan.h"
#include "restore/rollback.h"

namespace netsnap {

// A plan to apply, made from the live state as it was just before Plan returned.
struct PreparedRollback {
  Snapshot target;
  Snapshot live;
  RollbackPlan plan;
};

class RollbackExecutor {
 public:
  // `store` and `clock` (its wall time, for WHEN) outlive the executor. `before_apply` runs
  // between planning and the check that the live state is still the planned one (tests change
  // or hold the live state there); empty: nothing.
  RollbackExecutor(Store* store, const Clock* clock, GuardOptions guard, int max_replans,
                   std::function<void()> before_apply)
      : store_(store),
        clock_(clock),
        guard_(guard),
        max_replans_(max_replans),
        before_apply_(std::move(before_apply)) {}

  // Resolves WHEN (a version number "12"/"v12", or a time) to a version of `source`.
  Status ResolveVersion(const std::string& source, const std::string& when, uint64_t* out) const;

  // Plans rb->request to rb->target_version against the live state of `rec`, shows the plan in
  // rb and guards it (unless forced: Refused). A dry run ends there. Otherwise, when the live
  // state changed after planning, plans again: Conflict at once with if_unchanged, or after
  // max_replans plans. On OK *out is current and rb->pre_version is the stored live state.
  Status Plan(Recorder* rec, Rollback* rb, PreparedRollback* out) const;
  // Applies p.plan and verifies the live state against p.target within the scope; sets
  // rb->post_version and timings. An error says what went wrong; rb->failures lists records.
  Status Apply(Recorder* rec, const PreparedRollback& p, Rollback* rb) const;
  // Makes the live state equal rb's version before, within its scope, and says so in
  // rb->error after `why`; failures of the revert are added to rb->failures.
  Status Revert(Recorder* rec, Rollback* rb, const std::string& why) const;
  // Whether the live state matches rb's target within its scope (a restart finds rb
  // interrupted and asks whether its change is in place).
  Status Matches(Recorder* rec, const Rollback& rb, bool* matches) const;

 private:
  // Makes the live state equal `target` within `scope` by `plan`, made from `live`.
  Status ApplyTo(Recorder* rec, const Snapshot& target, const RollbackScope& scope, Rollback* rb,
                 const RollbackPlan& plan, const Snapshot& live) const;
  // The live state, committed as the recorder's current version.
  Status LiveState(Recorder* rec, Snapshot* out) const;

  Store* const store_;
  const Clock* const clock_;
  const GuardOptions guard_;
  const int max_replans_;
  const std::function<void()> before_apply_;
};

}  // namespace netsnap
