#include "restore/confirmation_watcher.h"

#include <algorithm>

#include "restore/probes.h"

namespace netsnap {

void ConfirmationWatcher::Start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  deadline_thread_ = std::thread([this] { DeadlineLoop(); });
  probe_thread_ = std::thread([this] { ProbeLoop(); });
}

void ConfirmationWatcher::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (deadline_thread_.joinable()) deadline_thread_.join();
  if (probe_thread_.joinable()) probe_thread_.join();
}

void ConfirmationWatcher::Watch(const std::string& id, AwaitedRollback awaited) {
  {
    MutexLock l(&mu_);
    awaiting_[id] = std::move(awaited);
  }
  cv_.SignalAll();
}

void ConfirmationWatcher::Forget(const std::string& id) {
  {
    MutexLock l(&mu_);
    awaiting_.erase(id);
  }
  cv_.SignalAll();
}

bool ConfirmationWatcher::WithinWindow(const std::string& id) const {
  MutexLock l(&mu_);
  auto it = awaiting_.find(id);
  return it != awaiting_.end() && clock_->MonotonicNs() < it->second.due_ns;
}

size_t ConfirmationWatcher::size() const {
  MutexLock l(&mu_);
  return awaiting_.size();
}

void ConfirmationWatcher::Wake() { cv_.SignalAll(); }

int64_t ConfirmationWatcher::DueOf(int64_t deadline_wall_ns) const {
  // Clamped so that a corrupt or far-off deadline cannot overflow.
  constexpr int64_t kYear = 366LL * 86400 * 1000000000;
  const int64_t left = std::clamp(deadline_wall_ns, -kYear, kYear * 200) - clock_->NowNs();
  return clock_->MonotonicNs() + std::clamp(left, int64_t{0}, kYear);
}

bool ConfirmationWatcher::ProbesPass(const AwaitedRollback& awaited) {
  if (!awaited.netns) return false;  // the source is no longer configured
  for (size_t i = 0; i < awaited.probes.size(); ++i) {
    if (i < awaited.skip.size() && awaited.skip[i]) continue;
    {
      MutexLock l(&mu_);
      if (stopping_) return false;
    }
    if (!RunProbe(awaited.probes[i], *awaited.netns).ok()) return false;
  }
  return true;
}

void ConfirmationWatcher::ProbeLoop() {
  mu_.Lock();
  while (true) {
    cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return stopping_ || !probe_queue_.empty(); });
    if (stopping_) break;
    std::string id = std::move(probe_queue_.front());
    probe_queue_.pop_front();
    auto it = awaiting_.find(id);
    // Confirmed, cancelled or reverted since it was queued: nothing to decide.
    std::optional<AwaitedRollback> awaited;
    if (it != awaiting_.end()) awaited = it->second;
    mu_.Unlock();
    bool passed = awaited && ProbesPass(*awaited);
    // Whether they passed in time is the check-and-set's to say (WithinWindow).
    if (passed) callbacks_.passed(id);
    mu_.Lock();
    probing_.erase(id);
  }
  mu_.Unlock();
}

void ConfirmationWatcher::DeadlineLoop() {
  mu_.Lock();
  while (!stopping_) {
    clock_->WaitUntil(&cv_, &mu_, clock_->MonotonicNs() + interval_ns_);
    if (stopping_) break;
    // The expired ones are copied out: their callback runs without mu_.
    std::vector<std::string> expired;
    const int64_t now = clock_->MonotonicNs();
    for (const auto& [id, awaited] : awaiting_) {
      if (now >= awaited.due_ns) {
        expired.push_back(id);
      } else if (!awaited.probes.empty() && probing_.insert(id).second) {
        probe_queue_.push_back(id);
        cv_.SignalAll();
      }
    }
    for (const std::string& id : expired) {
      if (stopping_) break;
      mu_.Unlock();
      // A revert, or nothing when it was confirmed or cancelled meanwhile or its source is busy
      // (then the next look tries again).
      callbacks_.expired(id);
      mu_.Lock();
    }
  }
  mu_.Unlock();
}

}  // namespace netsnap
