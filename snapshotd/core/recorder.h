// The recorder of one source: receives its captures, keeps the current snapshot, commits new
// versions to the store and tells listeners (detection) about each new version.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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
  std::string state = "starting";  // starting, running, error, stopped
  int64_t last_capture_ns = 0;
  std::string error;
  VersionHeader latest;  // version 0 before the first
};

class Recorder : public CaptureSink {
 public:
  Recorder(std::unique_ptr<Source> source, Store* store, Metrics* metrics);
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

  // CaptureSink.
  void OnSnapshot(Snapshot snapshot, Cause cause, const Actor& actor, int64_t time_ns) override;
  void OnChanges(Delta changes, Cause cause, const Actor& actor, int64_t time_ns) override;
  void OnError(const Status& error) override;
  void Count(std::string_view counter, uint64_t n) override;
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

  std::unique_ptr<Source> source_;
  Store* store_;
  Metrics* metrics_;
  mutable std::mutex mu_;
  Snapshot current_;
  SourceState state_;
  std::vector<Listener> listeners_;
  std::optional<CommitInfo> attribution_;
  std::atomic<int64_t> last_alive_ns_{0};
  const char* stall_file_;  // the test hook's file, or null
};

}  // namespace netsnap
