#include "detect/detection_inbox.h"

#include <algorithm>

namespace netsnap {

namespace {

bool OwnCause(Cause c) { return c == Cause::kRollback || c == Cause::kRestore; }

}  // namespace

DetectionInbox::DetectionInbox(Metrics* metrics, const Clock* clock)
    : metrics_(metrics), clock_(clock) {
  if (metrics_) {
    metrics_->Describe("netsnap_detection_inbox_overflows_total", "counter",
                       "Backlogs of versions collapsed into one inspection, by source.");
  }
}

void DetectionInbox::Push(const VersionCommitted& v) {
  const int64_t age = std::clamp<int64_t>(clock_->NowNs() - v.current.time_ns, 0, kMaxCaptureAgeNs);
  const int64_t mono = clock_->MonotonicNs() - age;
  {
    MutexLock l(&mu_);
    if (closed_) return;
    bool own = OwnCause(v.current.cause);
    uint64_t seq = ++pushed_;
    size_t mine = 0;
    Entry* last = nullptr;
    for (Entry& q : queue_) {
      if (q.v.source != v.source) continue;
      ++mine;
      last = &q;
    }
    if (last && queue_.size() >= kFoldAbove && !last->own && !own) {
      // Fold into the source's last entry: one change from its `before` to this `after`.
      Actor actor = last->v.current.actor.known() ? last->v.current.actor : v.current.actor;
      last->v.current = v.current;
      last->v.current.actor = actor;
      last->v.after = v.after;
      last->changed_mono_ns = mono;
    } else if (mine >= kMaxPerSource) {
      // Overflow: one inspection from the last inspected version (the first entry's `before`)
      // to the newest; own only when every version in it was the daemon's.
      Entry merged;
      bool all_own = own;
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->v.source != v.source) {
          ++it;
          continue;
        }
        if (merged.first_seq == 0) {
          merged.first_seq = it->first_seq;
          merged.v.source = v.source;
          merged.v.previous = it->v.previous;
          merged.v.before = std::move(it->v.before);
        }
        all_own = all_own && it->own;
        it = queue_.erase(it);
      }
      merged.v.current = v.current;
      merged.v.after = v.after;
      merged.own = all_own;
      merged.changed_mono_ns = mono;
      queue_.push_back(std::move(merged));
      if (metrics_) {
        metrics_->Add("netsnap_detection_inbox_overflows_total", {{"source", v.source}});
      }
    } else {
      queue_.push_back({v, own, seq, mono});
    }
  }
  cv_.SignalAll();
}

bool DetectionInbox::Next(Entry* out) {
  MutexLock l(&mu_);
  cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return closed_ || !queue_.empty(); });
  if (closed_) return false;
  *out = std::move(queue_.front());
  queue_.pop_front();
  inspecting_ = out->v.source;
  inspecting_seq_ = out->first_seq;
  return true;
}

void DetectionInbox::Done() {
  {
    MutexLock l(&mu_);
    inspecting_.clear();
    inspecting_seq_ = 0;
  }
  cv_.SignalAll();
}

void DetectionInbox::Close() {
  {
    MutexLock l(&mu_);
    closed_ = true;
  }
  cv_.SignalAll();
}

bool DetectionInbox::DoneUpToLocked(uint64_t seq) const {
  if (inspecting_seq_ != 0 && inspecting_seq_ <= seq) return false;
  for (const Entry& q : queue_) {
    if (q.first_seq <= seq) return false;
  }
  return true;
}

bool DetectionInbox::WaitIdle(std::chrono::milliseconds limit) {
  MutexLock l(&mu_);
  uint64_t target = pushed_;
  return cv_.WaitFor(&mu_, limit,
                     [&]() REQUIRES(mu_) { return closed_ || DoneUpToLocked(target); });
}

bool DetectionInbox::Busy(const std::string& source) {
  MutexLock l(&mu_);
  if (inspecting_ == source) return true;
  for (const Entry& q : queue_) {
    if (q.v.source == source) return true;
  }
  return false;
}

size_t DetectionInbox::size() {
  MutexLock l(&mu_);
  return queue_.size();
}

}  // namespace netsnap
