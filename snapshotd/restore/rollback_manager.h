// The rollback manager: rollbacks of any source, from request to a final state. A facade over
// three parts, each in its own file:
//
//   RollbackJournal      (rollback_journal.h)      ids, entries, pins, idempotency keys: what
//                                                   lasts in the store and a restart reads back
//   RollbackExecutor     (rollback_executor.h)     plan, guard, apply, verify, revert
//   ConfirmationWatcher  (confirmation_watcher.h)  deadlines and probes of rollbacks awaiting
//                                                   confirmation, on its deadline and probe threads
//
// The manager owns what ties them together: the per-source busy set (one rollback applies or
// reverts a source at a time) and every change of a rollback's state, a check-and-set under mu_
// that journals the new state before anyone acts on it (TransitionLocked), so that confirm,
// cancel, the deadline and the probes cannot all win. States and their order: rollback.h.
//
// Threads: callers of Submit, Confirm and Cancel; the watcher's deadline thread (reverts through
// OnExpired) and probe thread (confirms through OnProbesPassed). Locks, in the order taken:
// mu_, then the watcher's or the journal's own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "core/clock.h"
#include "core/daemon.h"
#include "restore/confirmation_watcher.h"
#include "restore/plan.h"
#include "restore/rollback.h"
#include "restore/rollback_executor.h"
#include "restore/rollback_journal.h"

namespace netsnap {

struct RollbackOptions {
  GuardOptions guard;
  int max_replans = 3;
  int64_t probe_interval_ns = 500LL * 1000000;
  int64_t default_probe_window_ns = 30LL * 1000000000;
  // Called between planning and applying; lets tests change the live state in that window, or
  // hold a rollback inside it.
  std::function<void()> before_apply;
};

// At most this many probes per rollback: each may take about a second (twice that with name
// resolution), and one worker runs them all.
inline constexpr size_t kMaxProbes = 16;

// What a rollback manager works with; all of it outlives the manager.
struct RollbackDeps {
  Store* store = nullptr;
  EventBus* events = nullptr;
  Metrics* metrics = nullptr;
  std::vector<Recorder*> sources;
  // Confirm deadlines run on its monotonic clock; times shown and journalled, idempotency
  // ages and version queries use its wall clock.
  const Clock* clock = Clock::Real();
  static RollbackDeps Of(Daemon* daemon, const Clock* clock = Clock::Real());
};

class RollbackManager {
 public:
  explicit RollbackManager(RollbackDeps deps, RollbackOptions options = {});
  ~RollbackManager();

  // Recovers journalled rollbacks (finishing or reverting interrupted ones, re-arming confirm
  // deadlines) and starts the watcher's threads. Call after the daemon's sources started.
  Status Start() EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);

  // Runs a rollback to completion (or a dry run) and returns its record. Errors: NotFound (no
  // such source or version), InvalidArgument (also more than kMaxProbes probes, and
  // IdempotencyMismatch), Refused (the guard; `force` with a `reason` overrides), Conflict
  // (another rollback of the source is running, or the live state changed and if_unchanged was
  // asked). A rollback that ran and failed is OK with state kFailed.
  //
  // An idempotency_key binds to (source, principal or else actor, RequestDigest): the same
  // three within kIdempotencyTtlNs return the first rollback without running anything; the
  // same key from the same principal with another request is IdempotencyMismatch; another
  // principal's key is another key.
  Status Submit(const RollbackRequest& request, Rollback* out) EXCLUDES(mu_);

  Status Get(const std::string& id, Rollback* out) { return journal_.Load(id, out); }
  // Newest first.
  Status List(size_t limit, std::vector<Rollback>* out) { return journal_.List(limit, out); }
  // How many rollbacks await confirmation now (no store read: for /metrics).
  size_t AwaitingConfirmation() const { return watcher_.size(); }
  // Keeps a rollback that awaits confirmation. Conflict when it is in another state (it was
  // confirmed, cancelled or is being reverted): *out is then the rollback in that state.
  Status Confirm(const std::string& id, const std::string& actor, Rollback* out) EXCLUDES(mu_);
  // Reverts a rollback that awaits confirmation now. Conflict as for Confirm, and when another
  // rollback of the source is running.
  Status Cancel(const std::string& id, const std::string& actor, Rollback* out) EXCLUDES(mu_);

 private:
  // The check-and-set: when the journalled state of rb->id is `from`, journals *rb with state
  // `to` and sets rb->state. Otherwise Conflict naming the actual state, with *rb that entry.
  // Entering awaiting_confirmation, the deadline is `due_ns` on the monotonic clock, or when
  // 0, what is left of the journalled rb->deadline_ns (DueOf).
  Status TransitionLocked(Rollback* rb, RollbackState from, RollbackState to, int64_t due_ns = 0)
      REQUIRES(mu_);
  // What the watcher keeps of a rollback that awaits confirmation until `due_ns`.
  AwaitedRollback AwaitedOf(const Rollback& rb, int64_t due_ns) const;
  // Takes an awaiting rollback to `reverting` (when no other rollback of its source runs) and
  // marks the source busy. `expired_only`: only when its deadline has passed.
  Status BeginRevertLocked(const std::string& id, bool expired_only, Rollback* out) REQUIRES(mu_);
  // Reverts a rollback BeginRevertLocked took, journals reverted or failed, frees the source.
  void FinishRevert(Rollback* rb, Recorder* rec, const std::string& why) EXCLUDES(mu_);
  // Plans, journals the intent, applies and takes the rollback to its next state.
  Status Run(Rollback* rb, Recorder* rec) EXCLUDES(mu_);
  // After a journalled change of state: unpins finished rollbacks, counts, publishes.
  void Announce(const Rollback& rb);
  // Finishes or reverts a rollback a crash interrupted; before the watcher's threads start.
  void Recover(Rollback* rb) EXCLUDES(mu_);
  // The watcher's callbacks.
  void OnExpired(const std::string& id) EXCLUDES(mu_);
  void OnProbesPassed(const std::string& id) EXCLUDES(mu_);

  Recorder* FindSource(const std::string& name) const;

  const RollbackDeps deps_;
  const RollbackOptions options_;
  RollbackJournal journal_;
  RollbackExecutor executor_;
  ConfirmationWatcher watcher_;
  Mutex mu_;
  std::set<std::string> busy_ GUARDED_BY(mu_);  // sources with a rollback applying or reverting
};

}  // namespace netsnap
