// The rollback manager: plans, guards, journals, applies, verifies and, when asked, reverts
// rollbacks of any source; keeps confirm deadlines (in the store, so they survive a restart)
// and finishes or reverts rollbacks that a crash interrupted.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/daemon.h"
#include "restore/plan.h"
#include "restore/rollback.h"

namespace netsnap {

struct RollbackOptions {
  GuardOptions guard;
  int max_replans = 3;
  int64_t probe_interval_ns = 500LL * 1000000;
  int64_t default_probe_window_ns = 30LL * 1000000000;
  // Called between planning and applying; lets tests change the live state in that window.
  std::function<void()> before_apply;
};

// What a rollback manager works with; all of it outlives the manager.
struct RollbackDeps {
  Store* store = nullptr;
  EventBus* events = nullptr;
  Metrics* metrics = nullptr;
  std::vector<Recorder*> sources;
  static RollbackDeps Of(Daemon* daemon);
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
  // such source or version), InvalidArgument, Refused (the guard; `force` with a `reason`
  // overrides), Conflict (another rollback of the source is running, or the live state changed
  // and if_unchanged was asked). A rollback that ran and failed is OK with state "failed".
  Status Submit(const RollbackRequest& request, Rollback* out);

  Status Get(const std::string& id, Rollback* out);
  // Newest first.
  Status List(size_t limit, std::vector<Rollback>* out);
  // Keeps a rollback that awaits confirmation.
  Status Confirm(const std::string& id, const std::string& actor, Rollback* out);
  // Reverts a rollback that awaits confirmation now.
  Status Cancel(const std::string& id, const std::string& actor, Rollback* out);

  // Resolves WHEN (a version number "12"/"v12", or a time) to a version of `source`.
  Status ResolveVersion(const std::string& source, const std::string& when, uint64_t* out);

 private:
  Status Run(Rollback* rb, Recorder* rec);
  // Makes the live state equal `target` within `scope`; fills failures. mu_ not held.
  Status ApplyTo(Recorder* rec, const Snapshot& target, const RollbackScope& scope, Rollback* rb,
                 const RollbackPlan& plan, const Snapshot& live);
  Status Revert(Rollback* rb, Recorder* rec, const std::string& why);
  Status LiveState(Recorder* rec, Snapshot* out);
  Status Save(const Rollback& rb);
  Status Load(const std::string& id, Rollback* out);
  void Finish(Rollback* rb, Recorder* rec);
  void Recover(Rollback* rb);
  void DeadlineLoop();
  bool ProbesPass(const Rollback& rb, Recorder* rec);

  Recorder* FindSource(const std::string& name) const;

  RollbackDeps deps_;
  RollbackOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> busy_;  // sources with a rollback running
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread deadline_thread_;
};

}  // namespace netsnap
