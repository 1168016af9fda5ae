// The recorder of one source: receives its captures, keeps the current snapshot, commits new
// versions to the store and tells listeners (detection) about each new version.
//
// Version times never go back within a source: a capture whose time is not after the latest
// version's last-seen time (a wall-clock step back) is stored 1 ns after it, and a step of more
// than a second is reported once as a `clock_step` event.
//
// A failed commit (disk full, I/O error) makes the source `degraded`: deliveries are dropped
// until the resync thread has committed a full re-read of the live state, which it tries once a
// second once the store accepts writes again (Store::CheckWritable). So a change is never
// silently lost; it is in the first version after recovery.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/event_bus.h"
#include "core/metrics.h"
#include "sources/source.h"
#include "store/store.h"

namespace netsnap {

// What listeners learn about each new version.
struct VersionCommitted {
  std::string source;
  VersionHeader previous;  // version 0 when this is the first
  VersionHeader current;
  Snapshot before;
  Snapshot after;
};

struct SourceState {
  std::string state = "starting";  // starting, running, degraded, error, stopped
  int64_t last_capture_ns = 0;
  std::string error;
  VersionHeader latest;  // version 0 before the first
  std::vector<SourceWarning> warnings;
};

class Recorder : public CaptureSink {
 public:
  // `events` may be null (no clock_step events then).
  Recorder(std::unique_ptr<Source> source, Store* store, Metrics* metrics, EventBus* events,
           const Clock* clock = Clock::Real());
  ~Recorder() override;

  Source* source() { return source_.get(); }
  const std::string& name() const { return source_->name(); }
  SourceState state() const;
  // The current (latest committed) snapshot.
  Snapshot current() const;

  // Loads the latest stored version and starts the source.
  Status Start();
  void Stop();

  // Reads the live state now and commits it with `cause`; returns the resulting version (the
  // existing one when nothing changed).
  Status CaptureNow(Cause cause, const Actor& actor, const std::string& note, VersionHeader* out,
                    Snapshot* live = nullptr);

  // While set, every version committed (from source deliveries too) carries this cause, actor
  // and note: a rollback's own changes come back from the source as notifications.
  void Attribute(std::optional<CommitInfo> info);

  using Listener = std::function<void(const VersionCommitted&)>;
  void AddListener(Listener fn);
  // Where new warnings are published (none: only kept for health). Set before Start.
  void SetEvents(EventBus* events) { events_ = events; }

  // CaptureSink.
  void OnSnapshot(Snapshot snapshot, Cause cause, const Actor& actor, int64_t time_ns) override;
  void OnChanges(Delta changes, Cause cause, const Actor& actor, int64_t time_ns) override;
  void OnError(const Status& error) override;
  void Count(std::string_view counter, uint64_t n) override;
  void OnWarnings(std::vector<SourceWarning> warnings) override;
  // The capture thread's heartbeat. Test hook: while the file named by
  // $NETSNAP_TEST_STALL_FILE exists and holds this source's name, the call blocks, as a stuck
  // capture thread would (tests/service; the environment is the operator's, so it grants nothing).
  void Alive() override;
  // CLOCK_MONOTONIC time of the last heartbeat, 0 before the first.
  int64_t last_alive_ns() const { return last_alive_ns_.load(std::memory_order_relaxed); }

 private:
  // Commits `next` (with `delta` from current_ when known); mu_ held.
  Status CommitLocked(Snapshot next, const Delta* delta, const CommitInfo& info,
                      VersionHeader* out);
  // Moves info->time_ns after the latest version's last-seen time; mu_ held.
  void KeepTimeMonotonic(CommitInfo* info);
  // While degraded, re-reads and commits the live state once a second, when the store takes
  // writes.
  void ResyncLoop();

  std::unique_ptr<Source> source_;
  Store* store_;
  Metrics* metrics_;
  EventBus* events_ = nullptr;
  const Clock* clock_;
  mutable std::mutex mu_;
  Snapshot current_;                       // guarded by mu_
  SourceState state_;                      // guarded by mu_
  std::vector<Listener> listeners_;        // guarded by mu_
  std::optional<CommitInfo> attribution_;  // guarded by mu_
  bool degraded_ = false;      // guarded by mu_: a commit failed since the last full re-read
  bool clock_behind_ = false;  // guarded by mu_: a clock_step was reported, not yet caught up
  bool stopping_ = false;      // guarded by mu_
  std::condition_variable resync_cv_;
  std::thread resync_thread_;
  std::atomic<int64_t> last_alive_ns_{0};
  const char* stall_file_;  // the test hook's file, or null
};

}  // namespace netsnap
