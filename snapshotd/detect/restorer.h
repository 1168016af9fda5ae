// Automated restores by policy. Detection hands over the findings of each damaging version;
// the restorer gathers a burst of damage per source (the union of the damaged keys, from the
// version before the first damaging one), waits until it settles (settle_ms after the last
// damage) and the cooldown since the last restore has passed, then submits one rollback with
// cause `restore` on its own thread.
//
// A writer still damaging is not fought: restoring under it would see the restored records
// damaged again and end in a conflict with a slow script. A burst still growing settle_max_ms
// after it began is reported once (`restore_waiting`) and keeps waiting; one still growing
// kMaxSettleWaitNs after it began is dropped (`restore_abandoned`), never a conflict.
//
// It does not fight another writer forever: after max_restores_per_hour, or when the records
// of a restore are damaged again within conflict_window_s of it conflict_repeats times in a
// row, it stops restoring the source and publishes a `conflict` event naming the writer, until
// Resume.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "core/clock.h"
#include "core/daemon.h"
#include "detect/finding.h"
#include "detect/policy.h"
#include "restore/rollback_manager.h"

namespace netsnap {

class Restorer {
 public:
  // `busy(source)` says whether versions of the source wait for inspection: a burst has not
  // settled while detection is behind.
  // Settle delays, cooldowns, the conflict window and the hourly cap run on `clock`'s
  // monotonic clock.
  Restorer(Daemon* daemon, RollbackManager* rollbacks, std::function<bool(const std::string&)> busy,
           const Clock* clock);
  ~Restorer();
  // The longest a burst waits for its damage to stop (docs/detection.md): a writer damaging
  // for longer than this is more than a script, and what it leaves is for a person to judge.
  static constexpr int64_t kMaxSettleWaitNs = 600LL * 1000000000;

  void Start();
  void Stop() EXCLUDES(mu_);

  // The findings of one version of `source` under `policy`, whose change was captured at
  // `changed_ns` (the monotonic clock): the settle delay counts from then, not from its commit
  // or from when detection got to it.
  // Never blocks on a restore.
  void Damage(const std::string& source, const DetectPolicy& policy,
              const std::vector<Finding>& findings, int64_t changed_ns) EXCLUDES(mu_);
  // Has the restore thread look again: `busy` may have changed.
  void Nudge();
  // Drops the pending burst (pause).
  void Drop(const std::string& source);
  // Leaves conflict and forgets the restore history (resume).
  void Clear(const std::string& source);
  // {restores, failures, pending, running, conflict: {...} | null, restores_last_hour}.
  boost::json::object State(const std::string& source);

 private:
  // Times below are MonotonicNs() of clock_.
  struct Burst {
    std::vector<std::string> keys;
    uint64_t from_version = 0;
    int64_t first = 0, last = 0;
    Actor actor;
    std::vector<std::string> kinds;
    uint64_t warmed_version = 0;  // the version reconstructed ahead, while the burst settles
    bool told_waiting = false;    // restore_waiting published
    int64_t synced_last = -1;     // `last` when the source was last synced (Run)
  };
  struct PerSource {
    DetectPolicy policy;
    std::optional<Burst> pending;
    bool running = false;
    std::deque<int64_t> starts;  // restores begun in the last hour
    bool has_last = false;
    int64_t last_start = 0, last_end = 0;
    std::vector<std::string> last_keys;  // sorted
    int redamage = 0;
    bool conflict = false;
    boost::json::object conflict_event;
    uint64_t restores = 0, failures = 0;
  };

  // The restore thread. Calls busy_ with mu_ held (so a Nudge cannot fall between the check and
  // the wait): Restorer::mu_ is taken before the detection inbox's lock.
  void Run() EXCLUDES(mu_);
  // For a burst still growing: the restore_waiting or restore_abandoned event due now (and the
  // burst marked told or dropped), or nullopt; *next gets the time of the next one.
  std::optional<std::pair<std::string, boost::json::object>> StillChanging(PerSource* s,
                                                                           int64_t now,
                                                                           int64_t* next)
      REQUIRES(mu_);
  // Enters conflict; returns the event to publish.
  boost::json::object EnterConflict(const std::string& source, PerSource* s, std::string why,
                                    const Actor& writer, const std::vector<std::string>& keys)
      REQUIRES(mu_);
  // Submits one restore and reports it. `s` stays valid (sources_ never erases); its fields
  // are read and written under mu_.
  void Restore(const std::string& source, const Burst& burst, PerSource* s) EXCLUDES(mu_);

  Daemon* daemon_;
  RollbackManager* rollbacks_;
  std::function<bool(const std::string&)> busy_;
  const Clock* clock_;
  Mutex mu_;
  CondVar cv_;
  std::map<std::string, PerSource> sources_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace netsnap
