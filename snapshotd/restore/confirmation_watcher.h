// The confirmation watcher: the rollbacks that await confirmation, each with its deadline on the
// monotonic clock and its probes, and the two threads that decide them:
//
//   deadline thread  looks every `interval` (sooner on Watch, Forget and Wake): queues the probes
//                    of rollbacks within their window and hands those whose deadline passed to
//                    `expired`, which reverts them on this thread.
//   probe thread     runs the queued rollbacks' probes, one rollback at a time, so that a slow
//                    probe never delays a deadline, and hands those that pass to `passed`.
//
// It changes no rollback's state itself: both callbacks go through RollbackManager's
// check-and-set, which asks WithinWindow under its own lock, so that confirm, cancel, the
// deadline and the probes cannot all win. The index follows that check-and-set (Watch on
// entering awaiting_confirmation, Forget on leaving it), so the deadline thread never reads the
// whole journal.
//
// Locks: mu_ guards the index, the probe queue and stopping_. Callbacks run without mu_; callers
// may hold their own lock when they call in (RollbackManager::mu_ before mu_).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "core/clock.h"
#include "restore/rollback.h"

namespace netsnap {

// What the watcher needs of a rollback awaiting confirmation.
struct AwaitedRollback {
  int64_t due_ns = 0;         // the confirm deadline on the monotonic clock
  std::vector<Probe> probes;  // none: only a confirm keeps the rollback
  std::vector<bool> skip;     // parallel to probes: failed before the change, does not decide
  std::optional<std::string> netns;  // where the probes run; nullopt: the source is gone
};

class ConfirmationWatcher {
 public:
  struct Callbacks {
    // The deadline of `id` passed. Runs on the deadline thread; may take long (a revert).
    std::function<void(const std::string& id)> expired;
    // Every deciding probe of `id` passed. Runs on the probe thread.
    std::function<void(const std::string& id)> passed;
  };

  // `clock` outlives the watcher; its monotonic time decides.
  ConfirmationWatcher(const Clock* clock, int64_t interval_ns)
      : clock_(clock), interval_ns_(interval_ns) {}
  ~ConfirmationWatcher() { Stop(); }

  // Starts both threads. Rollbacks may be watched before.
  void Start(Callbacks callbacks) EXCLUDES(mu_);
  // Stops and joins both threads; a running callback finishes first.
  void Stop() EXCLUDES(mu_);

  void Watch(const std::string& id, AwaitedRollback awaited) EXCLUDES(mu_);
  void Forget(const std::string& id) EXCLUDES(mu_);
  // `id` is watched and its deadline has not passed.
  bool WithinWindow(const std::string& id) const EXCLUDES(mu_);
  // How many rollbacks are watched.
  size_t size() const EXCLUDES(mu_);
  // Wakes the deadline thread (a source became free: a revert it put off may run now).
  void Wake() EXCLUDES(mu_);

  // The monotonic time at which a journalled (wall-clock) deadline falls: what is left of it at
  // this moment, from now on the monotonic clock. For deadlines read from the journal (start,
  // recovery): from then on a wall-clock step does not move them.
  int64_t DueOf(int64_t deadline_wall_ns) const;

 private:
  void DeadlineLoop() EXCLUDES(mu_);
  void ProbeLoop() EXCLUDES(mu_);
  // Runs the deciding probes in order; false at the first that fails, or when stopping.
  bool ProbesPass(const AwaitedRollback& awaited) EXCLUDES(mu_);

  const Clock* const clock_;
  const int64_t interval_ns_;
  Callbacks callbacks_;  // set by Start before the threads exist, then read only

  mutable Mutex mu_;
  CondVar cv_;  // the index, the queue or stopping_ changed
  std::map<std::string, AwaitedRollback> awaiting_ GUARDED_BY(mu_);
  std::deque<std::string> probe_queue_ GUARDED_BY(mu_);  // ids whose probes are due
  std::set<std::string> probing_ GUARDED_BY(mu_);        // ids queued or being probed
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread deadline_thread_;  // started by Start, joined by Stop (both on the owner's thread)
  std::thread probe_thread_;
};

}  // namespace netsnap
