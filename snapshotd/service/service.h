// The running daemon: its modules in start order — the store and the sources (Daemon), the
// rollback manager, detection, the API — their reload on SIGHUP, and what the systemd watchdog
// and status line need to know about them.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "api/rollback_adapter.h"
#include "api/server.h"
#include "common/mutex.h"
#include "core/config.h"
#include "core/daemon.h"
#include "detect/detection.h"
#include "restore/rollback_manager.h"

namespace netsnap {

class Service {
 public:
  // `config` has passed CheckConfig.
  explicit Service(DaemonConfig config);
  ~Service();

  // Starts everything in order; on failure stops what started and returns why.
  Status Start() EXCLUDES(mu_);
  // Stops in reverse order. Idempotent.
  void Stop() EXCLUDES(mu_);

  // Applies a new configuration; on an error the old one keeps running unchanged and the
  // error is returned. In place: log level, retention, policies. Tokens: swapped in the
  // running API server; another listen address, socket or API limit: the API restarts. Sources
  // added, removed or changed: the API, detection and rollbacks stop, the sources change, and they
  // start again in order (pauses end). data_dir cannot change without a restart. A failure after
  // modules stopped that the old configuration cannot recover from is Internal: the caller exits
  // and systemd restarts.
  Status Reload(DaemonConfig next) EXCLUDES(mu_);

  // "" when every running capture thread and the API's I/O loop turned within `limit_ns`,
  // else what is stuck. Also posts the next I/O-loop ping. For the watchdog thread.
  std::string Stuck(int64_t limit_ns) EXCLUDES(mu_);
  // "kernel v12, resolver v3": sources and their latest versions, for STATUS=.
  std::string SourcesLine() EXCLUDES(mu_);
  ReloadState* reload_state() { return daemon_.reload_state(); }

 private:
  Status StartModules(const DaemonConfig& config) REQUIRES(mu_);
  void StopModules() REQUIRES(mu_);
  Status StartApi(const DaemonConfig& config) REQUIRES(mu_);
  std::string StuckLocked(int64_t limit_ns) REQUIRES(mu_);

  // Guards the module pointers against the watchdog thread (reloads replace them). Taken
  // before the modules' own locks.
  Mutex mu_;
  DaemonConfig config_ GUARDED_BY(mu_);
  // Its sources (recorders()) change only in a reload, under mu_; it guards the rest itself.
  Daemon daemon_;
  std::unique_ptr<RollbackManager> rollbacks_ GUARDED_BY(mu_);
  std::unique_ptr<api::ManagedRollbacks> rollback_service_ GUARDED_BY(mu_);
  std::unique_ptr<Detection> detection_ GUARDED_BY(mu_);
  std::unique_ptr<ApiServer> api_ GUARDED_BY(mu_);
  // CLOCK_MONOTONIC ns of the last I/O-loop ping that ran, and whether one is queued.
  std::shared_ptr<std::atomic<int64_t>> api_alive_ns_ = std::make_shared<std::atomic<int64_t>>(0);
  bool stopped_ GUARDED_BY(mu_) = false;
};

}  // namespace netsnap
