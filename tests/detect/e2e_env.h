// End-to-end set-up for detection tests: a real Daemon over a configuration the test writes,
// a RollbackManager and Detection, with data in a temp folder; helpers to wait (bounded) for
// events and for the state of a namespace.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/daemon.h"
#include "detect/detection.h"
#include "restore/rollback_manager.h"
#include "temp_dir.h"

namespace netsnap::testing {

class DetectEnv {
 public:
  ~DetectEnv();
  // Starts the daemon with `toml` (sources and policies) after a [daemon] table of its own;
  // detection runs on `clock` (the rollback manager on the real clock, so that the only
  // timed waits on a TestClock are detection's).
  Status Start(const std::string& toml, const Clock* clock = Clock::Real());
  void Stop();

  Daemon* daemon() { return daemon_.get(); }
  Detection* detection() { return detection_.get(); }
  const TempDir& dir() const { return dir_; }

  // Every stored event of `type` (all types when empty), oldest first.
  std::vector<StoredEvent> Events(const std::string& type);
  // Waits until an event of `type` satisfies pred; false after `limit`.
  bool WaitForEvent(const std::string& type, const std::function<bool(const StoredEvent&)>& pred,
                    std::chrono::milliseconds limit, StoredEvent* out = nullptr);
  // Waits until the recorder of `source` holds `records` records, then until detection has
  // inspected every version so far.
  bool WaitForRecords(const std::string& source, size_t records, std::chrono::milliseconds limit);
  // Waits until every change of `source` so far is captured and inspected and no restore waits
  // or runs (a fatal test failure when that does not happen within 30 s each).
  void Settle(const std::string& source);

 private:
  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<RollbackManager> rollbacks_;
  std::unique_ptr<Detection> detection_;
};

// Polls pred every 20 ms until it holds or `limit` passes.
bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit);

// A process the test starts (`sh -c command`) and ends by its pid.
class Child {
 public:
  explicit Child(const std::string& command);
  ~Child();
  void Kill();
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
};

// The event's fields as JSON.
boost::json::object Fields(const StoredEvent& e);

}  // namespace netsnap::testing
