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
//
// Listeners are called outside mu_, in commit order: a commit queues its VersionCommitted under
// mu_, and the committing thread then takes deliver_mu_ and hands every queued version to the
// listeners, oldest first, before it returns. So a version reaches the listeners after every
// version committed before it and before its commit call (OnChanges, CaptureNow, ...) returns;
// a listener may read the recorder (current(), state()) but must not commit to it. state()
// shows a version once its listeners have run, so a reader who sees it there finds it delivered.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "core/clock.h"
#include "core/event_bus.h"
#include "core/metrics.h"
#include "netsnap/source.h"
#include "netsnap/store.h"

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
  SourceState state() const EXCLUDES(mu_);
  // The current (latest committed) snapshot.
  Snapshot current() const EXCLUDES(mu_);

  // Loads the latest stored version and starts the source.
  Status Start();
  void Stop();

  // Reads the live state now and commits it with `cause`; returns the resulting version (the
  // existing one when nothing changed). While an attribution is set the read counts as the
  // daemon's (Writer::kDaemon): a full read cannot tell writers apart.
  Status CaptureNow(Cause cause, const Actor& actor, const std::string& note, VersionHeader* out,
                    Snapshot* live = nullptr) EXCLUDES(mu_, deliver_mu_);

  // While set, the versions of deliveries the source marks Writer::kDaemon (the outcome of its
  // own Apply, known by fact: see source.h) carry this cause, actor and note: a rollback's own
  // changes come back from the source as notifications. Other deliveries keep their cause and
  // actor, so detection inspects a change another process makes meanwhile.
  void Attribute(std::optional<CommitInfo> info) EXCLUDES(mu_);

  using Listener = std::function<void(const VersionCommitted&)>;
  void AddListener(Listener fn) EXCLUDES(deliver_mu_);
  // Where new warnings are published (none: only kept for health). Set before Start.
  void SetEvents(EventBus* events) { events_ = events; }

  // CaptureSink.
  void OnSnapshot(Snapshot snapshot, Cause cause, const Actor& actor, int64_t time_ns,
                  Writer writer) override EXCLUDES(mu_, deliver_mu_);
  void OnChanges(Delta changes, Cause cause, const Actor& actor, int64_t time_ns,
                 Writer writer) override EXCLUDES(mu_, deliver_mu_);
  void OnError(const Status& error) override EXCLUDES(mu_);
  void Count(std::string_view counter, uint64_t n) override;
  void OnWarnings(std::vector<SourceWarning> warnings) override EXCLUDES(mu_);
  // The capture thread's heartbeat. Test hook: while the file named by
  // $NETSNAP_TEST_STALL_FILE exists and holds this source's name, the call blocks, as a stuck
  // capture thread would (tests/service; the environment is the operator's, so it grants nothing).
  void Alive() override;
  // CLOCK_MONOTONIC time of the last heartbeat, 0 before the first.
  int64_t last_alive_ns() const { return last_alive_ns_.load(std::memory_order_relaxed); }

 private:
  // Commits `next` (with `delta` from current_ when known) and queues the new version for the
  // listeners (DeliverCommitted).
  Status CommitLocked(Snapshot next, const Delta* delta, const CommitInfo& info, Writer writer,
                      VersionHeader* out) REQUIRES(mu_);
  // Moves info->time_ns after the latest version's last-seen time.
  void KeepTimeMonotonic(CommitInfo* info) REQUIRES(mu_);
  // Hands the queued versions to the listeners in commit order (see the top of this file).
  void DeliverCommitted() EXCLUDES(mu_, deliver_mu_);
  // While degraded, re-reads and commits the live state once a second, when the store takes
  // writes.
  void ResyncLoop() EXCLUDES(mu_);

  std::unique_ptr<Source> source_;
  Store* store_;
  Metrics* metrics_;
  EventBus* events_ = nullptr;
  const Clock* clock_;
  // Taken before mu_ when both are held (DeliverCommitted); held while listeners run, so that
  // they see versions one at a time and in order.
  Mutex deliver_mu_ ACQUIRED_BEFORE(mu_);
  std::vector<Listener> listeners_ GUARDED_BY(deliver_mu_);
  mutable Mutex mu_;
  Snapshot current_ GUARDED_BY(mu_);
  SourceState state_ GUARDED_BY(mu_);
  std::optional<CommitInfo> attribution_ GUARDED_BY(mu_);
  // Committed versions not yet handed to the listeners, oldest first.
  std::deque<VersionCommitted> committed_ GUARDED_BY(mu_);
  // The latest version whose listeners have run: state() shows it, so that whoever sees a
  // version there finds it delivered (detection's inbox holds it).
  VersionHeader delivered_ GUARDED_BY(mu_);
  bool degraded_ GUARDED_BY(mu_) = false;      // a commit failed since the last full re-read
  bool clock_behind_ GUARDED_BY(mu_) = false;  // a clock_step was reported, not yet caught up
  bool stopping_ GUARDED_BY(mu_) = false;
  CondVar resync_cv_;
  std::thread resync_thread_;
  std::atomic<int64_t> last_alive_ns_{0};
  const char* stall_file_;  // the test hook's file, or null
};

}  // namespace netsnap
