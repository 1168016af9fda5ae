// The rollback manager: plans, guards, journals, applies, verifies and, when asked, reverts
// rollbacks of any source; keeps confirm deadlines (in the store, so they survive a restart)
// and finishes or reverts rollbacks that a crash interrupted.
//
// Threads: callers of Submit/Confirm/Cancel; the deadline thread (reverts rollbacks whose
// confirmation window closed); the probe worker (runs the probes of rollbacks awaiting
// confirmation, so that a slow probe never delays a deadline). Every change of a rollback's
// state is one check-and-set under mu_ that journals the new state before anyone acts on it
// (Transition), so confirm, cancel, the deadline and the probes cannot all win.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/daemon.h"
#include "restore/plan.h"
#include "restore/rollback.h"

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
// An Idempotency-Key is remembered this long; an older one is ignored and may be reused.
inline constexpr int64_t kIdempotencyTtlNs = 24LL * 3600 * 1000000000;

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
  // deadlines) and starts the deadline thread. Call after the daemon's sources started.
  Status Start();
  void Stop();

  // Runs a rollback to completion (or a dry run) and returns its record. Errors: NotFound (no
  // such source or version), InvalidArgument (also more than kMaxProbes probes, and
  // IdempotencyMismatch), Refused (the guard; `force` with a `reason` overrides), Conflict
  // (another rollback of the source is running, or the live state changed and if_unchanged was
  // asked). A rollback that ran and failed is OK with state "failed".
  //
  // An idempotency_key binds to (source, principal or else actor, RequestDigest): the same
  // three within kIdempotencyTtlNs return the first rollback without running anything; the
  // same key from the same principal with another request is IdempotencyMismatch; another
  // principal's key is another key.
  Status Submit(const RollbackRequest& request, Rollback* out);

  Status Get(const std::string& id, Rollback* out);
  // Newest first.
  Status List(size_t limit, std::vector<Rollback>* out);
  // How many rollbacks await confirmation now (no store read: for /metrics).
  size_t AwaitingConfirmation();
  // Keeps a rollback that awaits confirmation. Conflict when it is in another state (it was
  // confirmed, cancelled or is being reverted): *out is then the rollback in that state.
  Status Confirm(const std::string& id, const std::string& actor, Rollback* out);
  // Reverts a rollback that awaits confirmation now. Conflict as for Confirm, and when another
  // rollback of the source is running.
  Status Cancel(const std::string& id, const std::string& actor, Rollback* out);

  // Idempotency keys in `store` older than kIdempotencyTtlNs at `now_ns` (their store keys),
  // for retention, which calls RemoveExpiredKeys to delete them; they need no manager running.
  static Status ExpiredKeys(Store* store, int64_t now_ns, std::vector<std::string>* out);
  static Status RemoveExpiredKeys(Store* store, int64_t now_ns, size_t* removed);

  // Resolves WHEN (a version number "12"/"v12", or a time) to a version of `source`.
  Status ResolveVersion(const std::string& source, const std::string& when, uint64_t* out);

 private:
  // The check-and-set: when the journalled state of rb->id is `from`, journals *rb with state
  // `to` and sets rb->state. Otherwise Conflict naming the actual state, with *rb that entry.
  // Entering awaiting_confirmation, the deadline is `due_ns` on the monotonic clock, or when
  // 0, what is left of the journalled rb->deadline_ns (DueOf).
  Status TransitionLocked(Rollback* rb, RollbackState from, RollbackState to, int64_t due_ns = 0);
  // The monotonic time at which a journalled (wall-clock) deadline falls: what is left of it
  // at this moment, from now on the monotonic clock. Used when a deadline comes from the
  // journal (start, recovery); from then on a wall-clock step does not move it.
  int64_t DueOf(int64_t deadline_wall_ns) const;
  // Takes an awaiting rollback to `reverting` (when no other rollback of its source runs) and
  // marks the source busy. `expired_only`: only when its deadline has passed.
  Status BeginRevertLocked(const std::string& id, bool expired_only, Rollback* out);
  // Reverts a rollback BeginRevertLocked took, journals reverted or failed, frees the source.
  void FinishRevert(Rollback* rb, Recorder* rec, const std::string& why);
  Status Run(Rollback* rb, Recorder* rec);
  Status FindIdempotent(const RollbackRequest& req, const std::string& store_key,
                        const std::string& digest, Rollback* out, bool* found);
  void RememberIdempotent(const std::string& store_key, const std::string& digest,
                          const Rollback& rb);
  // Makes the live state equal `target` within `scope`; fills failures. mu_ not held.
  Status ApplyTo(Recorder* rec, const Snapshot& target, const RollbackScope& scope, Rollback* rb,
                 const RollbackPlan& plan, const Snapshot& live);
  Status Revert(Rollback* rb, Recorder* rec, const std::string& why);
  Status LiveState(Recorder* rec, Snapshot* out);
  Status Save(const Rollback& rb);
  Status Load(const std::string& id, Rollback* out);
  // After a journalled change of state: unpins finished rollbacks, counts, publishes.
  void Announce(const Rollback& rb);
  void Recover(Rollback* rb);
  void DeadlineLoop();
  void ProbeLoop();
  bool ProbesPass(const Rollback& rb, Recorder* rec);

  Recorder* FindSource(const std::string& name) const;

  RollbackDeps deps_;
  RollbackOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> busy_;  // GUARDED_BY(mu_): sources with a rollback applying or reverting
  uint64_t next_id_ = 1;        // GUARDED_BY(mu_)
  bool stopping_ = false;       // GUARDED_BY(mu_)
  std::deque<std::string> probe_queue_;  // GUARDED_BY(mu_): ids whose probes are due
  std::set<std::string> probing_;        // GUARDED_BY(mu_): ids queued or being probed
  // The rollbacks awaiting confirmation, so the deadline loop never reads the whole journal:
  // filled at Start from the journal and kept by TransitionLocked.
  struct OpenRollback {
    int64_t due_ns = 0;  // the confirm deadline on the monotonic clock
    bool has_probes = false;
  };
  std::map<std::string, OpenRollback> awaiting_;  // GUARDED_BY(mu_)
  std::thread deadline_thread_;
  std::thread probe_thread_;
};

}  // namespace netsnap
