// The daemon: the store, one recorder per source, the event bus and metrics, and the modules
// built on them (detection, rollback, API). Owns their lifetimes and start/stop order.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/event_bus.h"
#include "core/metrics.h"
#include "core/recorder.h"
#include "core/reload_state.h"
#include "core/retention_runner.h"
#include "netsnap/store.h"

namespace netsnap {

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();

  // Opens the store, builds and starts every source. A source that fails to start is reported
  // in its state and retried by its own machinery; a bad configuration fails Start.
  // Starts the retention runner too ([retention]).
  Status Start();
  void Stop();

  // Makes the running sources those of `next` (a checked configuration): builds the added and
  // changed ones first (nothing changes when one cannot be built), then stops the removed and
  // changed ones and starts the new ones. Call only while no module holds recorder pointers
  // (detection, rollbacks and the API are stopped). Adopts `next` as the configuration.
  Status ApplySources(DaemonConfig next);
  // Applies new retention settings and disk budget: the runner restarts with them, keeping its
  // idempotency pruner (a reload; the data dir needs a restart).
  void SetRetention(const RetentionSettings& settings, uint64_t max_disk_bytes);
  // How the runner removes expired idempotency keys (the rollback module's format); kept across
  // SetRetention.
  void SetIdempotencyPruner(RetentionRunner::Pruner pruner);
  ReloadState* reload_state() { return &reload_state_; }

  // Adds and starts a source built elsewhere (tests, tools), as if the configuration named it.
  // Call after Start and before modules that attach to recorders (detection, the API).
  Status AddSource(std::unique_ptr<Source> source);

  const DaemonConfig& config() const { return config_; }
  Store* store() { return store_.get(); }
  EventBus* events() { return events_.get(); }
  Metrics* metrics() { return &metrics_; }
  const std::vector<std::unique_ptr<Recorder>>& recorders() const { return recorders_; }
  // The recorder of a source, or null.
  Recorder* FindSource(const std::string& name) const;
  // Runs [retention] every interval from Start to Stop.
  RetentionRunner* retention() { return retention_.get(); }

 private:
  void StartRetention();

  DaemonConfig config_;
  Metrics metrics_;
  ReloadState reload_state_;
  RetentionRunner::Pruner idempotency_pruner_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<EventBus> events_;
  std::vector<std::unique_ptr<Recorder>> recorders_;
  std::unique_ptr<RetentionRunner> retention_;
};

}  // namespace netsnap
