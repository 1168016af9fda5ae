// The retention runner (docs/store.md, "Retention"): every [retention] interval on the
// monotonic clock it thins each source's versions by the tiers (pins kept), deletes old events,
// finished rollbacks and idempotency keys, then compacts so that the disk shrinks. With a disk
// budget ([daemon] max_disk_bytes) it thins the keep-all tier further while the store is over
// it. One thread; RunOnce may also be called directly (tests, tools).
#pragma once

#include <cstdint>
#include <functional>
#include <thread>

#include "common/mutex.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "netsnap/store.h"

namespace netsnap {

struct RetentionReport {
  uint64_t versions = 0, events = 0, rollbacks = 0, idempotency = 0;  // removed
  uint64_t disk_before = 0, disk_after = 0;                           // bytes
  // The keep-all window the versions were thinned with: smaller than configured when the
  // disk budget made retention thin further.
  int64_t keep_all_ns = 0;
  bool over_budget = false;  // still over max_disk_bytes after thinning
};

class RetentionRunner {
 public:
  // Removes what is older than `before_ns`; sets *removed to the count.
  using Pruner = std::function<Status(int64_t before_ns, uint64_t* removed)>;

  // The idempotency keys' lifetime: a retried request within it gets the same rollback.
  static constexpr int64_t kIdempotencyNs = 24LL * 3600 * 1000000000;

  RetentionRunner(Store* store, const RetentionSettings& settings, uint64_t max_disk_bytes,
                  Metrics* metrics, const Clock* clock);
  ~RetentionRunner();

  // Starts the thread; the first run is one interval after Start.
  void Start();
  // Stops the thread, waiting for a run in progress. Idempotent.
  void Stop() EXCLUDES(mu_);

  // The rollback module owns the idempotency keys' format: it sets how to remove those older
  // than a time. Until it does, idempotency keys are kept.
  void SetIdempotencyPruner(Pruner pruner);

  // One full pass now. Errors of one part are logged and the other parts still run; the first
  // error is returned.
  Status RunOnce(RetentionReport* out) EXCLUDES(run_mu_, mu_);

 private:
  void Loop() EXCLUDES(mu_);
  // Waits until clock_ reaches `due_ns`; false once Stop was called.
  bool WaitDue(int64_t due_ns) EXCLUDES(mu_);
  // Thins every source's versions with `policy`; adds to *removed.
  Status ThinVersions(const RetentionPolicy& policy, int64_t now_ns, uint64_t* removed);
  // Compacts and thins the keep-all tier further while over the budget.
  Status KeepWithinBudget(int64_t now_ns, RetentionReport* report);

  Store* store_;
  const RetentionSettings settings_;
  const uint64_t max_disk_bytes_;
  Metrics* metrics_;
  const Clock* clock_;

  Mutex run_mu_ ACQUIRED_BEFORE(mu_);  // one pass at a time
  Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  Pruner idempotency_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace netsnap
