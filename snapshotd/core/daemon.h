// The daemon: the store, one recorder per source, the event bus and metrics, and the modules
// built on them (detection, rollback, API). Owns their lifetimes and start/stop order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/event_bus.h"
#include "core/metrics.h"
#include "core/recorder.h"
#include "core/retention_runner.h"
#include "store/store.h"

namespace netsnap {

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();

  // Opens the store, builds and starts every source. A source that fails to start is reported
  // in its state and retried by its own machinery; a bad configuration fails Start.
  Status Start();
  void Stop();

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
  DaemonConfig config_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<EventBus> events_;
  std::vector<std::unique_ptr<Recorder>> recorders_;
  std::unique_ptr<RetentionRunner> retention_;
};

}  // namespace netsnap
