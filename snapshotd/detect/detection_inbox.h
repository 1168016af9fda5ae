// Where recorder listeners put new versions for the detection thread. Never blocks a
// recorder and stays bounded whatever the sources do:
//
// - With a backlog (kFoldAbove entries or more), a source's version folds into its last
//   queued entry — one change from that entry's `before` to the new `after` — so sources that
//   alternate cost one entry each, not one per version.
// - Versions the daemon made (rollback, restore) never fold with others (they are not
//   inspected, the others are). A source that still gathers kMaxPerSource entries overflows:
//   its entries collapse into one inspection from the last inspected version (its first
//   entry's `before`) to the newest, counted in netsnap_detection_inbox_overflows_total.
//
// So at most max(kFoldAbove, sources × kMaxPerSource) entries wait. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include "common/mutex.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/recorder.h"

namespace netsnap {

class DetectionInbox {
 public:
  static constexpr size_t kFoldAbove = 8;
  static constexpr size_t kMaxPerSource = 16;
  // A version reaches the inbox its debounce (debounce_ms, 100 by default) plus its commit
  // after its capture; an older capture time is taken as a wall-clock step.
  static constexpr int64_t kMaxCaptureAgeNs = 1'000'000'000;

  struct Entry {
    VersionCommitted v;
    bool own = false;        // made by the daemon (rollback, restore): not inspected
    uint64_t first_seq = 0;  // the first push folded into it
    // When its newest version's change was captured, on the monotonic clock: detection
    // windows and the restorer's settle delay count from here. The version's capture time (wall
    // clock, the last notification read) becomes an age at push, taken off the monotonic time
    // of the push and clamped to [0, kMaxCaptureAgeNs], so a wall-clock step moves it by at
    // most that. Counting from the commit instead added the capture debounce and the commit
    // (150-450 ms for a 10k-route version) to every settle delay.
    int64_t changed_mono_ns = 0;
  };

  // `metrics` may be null.
  DetectionInbox(Metrics* metrics, const Clock* clock);

  // Queues one version (called by recorder listeners); ignored once closed.
  void Push(const VersionCommitted& v);
  // Waits for the next entry and marks it as being inspected until Done; false once closed.
  bool Next(Entry* out);
  // The entry Next returned has been inspected.
  void Done();
  // Wakes Next and WaitIdle; later pushes are ignored.
  void Close();
  // Waits until every version pushed before the call has been inspected; false on timeout.
  bool WaitIdle(std::chrono::milliseconds limit);
  // Whether versions of `source` are queued or being inspected.
  bool Busy(const std::string& source);
  // Entries waiting.
  size_t size();

 private:
  // Whether every push up to `seq` has been inspected.
  bool DoneUpToLocked(uint64_t seq) const REQUIRES(mu_);

  Metrics* const metrics_;
  const Clock* const clock_;
  // Taken inside Recorder::mu_ (Push, from a listener) and Restorer::mu_ (Busy); takes only
  // Metrics::mu_.
  Mutex mu_;
  CondVar cv_;
  std::deque<Entry> queue_ GUARDED_BY(mu_);
  uint64_t pushed_ GUARDED_BY(mu_) = 0;
  std::string inspecting_ GUARDED_BY(mu_);       // the source of the entry being inspected
  uint64_t inspecting_seq_ GUARDED_BY(mu_) = 0;  // its first_seq; 0 when none
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace netsnap
