// The running daemon: its modules in start order — the store and the sources (Daemon), the
// rollback manager, detection, the API — their reload on SIGHUP, and what the systemd watchdog
// and status line need to know about them.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "api/rollback_adapter.h"
#include "api/server.h"
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
  Status Start();
  // Stops in reverse order. Idempotent.
  void Stop();

  // Applies a new configuration; on an error the old one keeps running unchanged and the
  // error is returned. In place: log level, retention, policies. Tokens: swapped in the
  // running API server; another listen address, socket or API limit: the API restarts. Sources
  // added, removed or changed: the API, detection and rollbacks stop, the sources change, and they
  // start again in order (pauses end). data_dir cannot change without a restart. A failure after
  // modules stopped that the old configuration cannot recover from is Internal: the caller exits
  // and systemd restarts.
  Status Reload(DaemonConfig next);

  // "" when every running capture thread and the API's I/O loop turned within `limit_ns`,
  // else what is stuck. Also posts the next I/O-loop ping. For the watchdog thread.
  std::string Stuck(int64_t limit_ns);
  // "kernel v12, resolver v3": sources and their latest versions, for STATUS=.
  std::string SourcesLine();
  ReloadState* reload_state() { return daemon_.reload_state(); }

 private:
  Status StartModules(const DaemonConfig& config);
  void StopModules();
  Status StartApi(const DaemonConfig& config);

  // Guards the module pointers against the watchdog thread (reloads replace them).
  std::mutex mu_;
  DaemonConfig config_;
  Daemon daemon_;
  std::unique_ptr<RollbackManager> rollbacks_;
  std::unique_ptr<api::ManagedRollbacks> rollback_service_;
  std::unique_ptr<Detection> detection_;
  std::unique_ptr<ApiServer> api_;
  // CLOCK_MONOTONIC ns of the last I/O-loop ping that ran, and whether one is queued.
  std::shared_ptr<std::atomic<int64_t>> api_alive_ns_ = std::make_shared<std::atomic<int64_t>>(0);
  bool stopped_ = false;
};

}  // namespace netsnap
