#include "core/clock.h"

#include <algorithm>

namespace netsnap {

namespace {

class RealClock : public Clock {
 public:
  int64_t NowNs() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNs() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

void Clock::WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                      int64_t deadline_ns) const {
  if (deadline_ns == INT64_MAX) {
    cv.wait(lock);
    return;
  }
  // The waits of the real clock end on the steady clock, which MonotonicNs() reads.
  const int64_t left = deadline_ns - MonotonicNs();
  if (left > 0) cv.wait_for(lock, std::chrono::nanoseconds(left));
}

void Clock::WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ns) const {
  if (deadline_ns == INT64_MAX) {
    cv->Wait(mu);
    return;
  }
  const int64_t left = deadline_ns - MonotonicNs();
  if (left > 0) {
    cv->WaitUntil(mu, std::chrono::steady_clock::now() + std::chrono::nanoseconds(left));
  }
}

const Clock* Clock::Real() {
  static const RealClock clock;
  return &clock;
}

bool TestClock::Register(Waiter* w) const {
  {
    std::lock_guard l(mu_);
    // Checked after registering: an Advance that missed the registration moved the clock
    // before it, so this sees the new time. The caller holds its mutex until its wait releases
    // it, so an Advance that saw the registration cannot notify before the wait begins.
    if (MonotonicNs() >= w->deadline_ns) return false;
    waiters_.push_back(w);
    ++waits_;
  }
  changed_.notify_all();
  return true;
}

void TestClock::Unregister(Waiter* w) const {
  std::lock_guard l(mu_);
  std::erase(waiters_, w);
}

void TestClock::WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          int64_t deadline_ns) const {
  if (deadline_ns == INT64_MAX) {  // not a timed wait: no Advance ends it
    cv.wait(lock);
    return;
  }
  std::mutex* mu = lock.mutex();
  Waiter w{[&cv, mu] {
             std::lock_guard l(*mu);
             cv.notify_all();
           },
           deadline_ns};
  if (!Register(&w)) return;
  cv.wait(lock);
  Unregister(&w);
}

void TestClock::WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ns) const {
  if (deadline_ns == INT64_MAX) {
    cv->Wait(mu);
    return;
  }
  Waiter w{[cv, mu] {
             MutexLock l(mu);
             cv->SignalAll();
           },
           deadline_ns};
  if (!Register(&w)) return;
  cv->Wait(mu);
  Unregister(&w);
}

void TestClock::Advance(int64_t d) {
  now_ += d;
  mono_ += d;
  // Every waiter wakes, due or not: one that is not due must check the time and wait again,
  // as it would after any early return.
  std::vector<Waiter> all;
  {
    std::lock_guard l(mu_);
    for (const Waiter* w : waiters_) all.push_back(*w);
  }
  for (const Waiter& w : all) w.wake();
}

uint64_t TestClock::waits() const {
  std::lock_guard l(mu_);
  return waits_;
}

bool TestClock::AwaitWaits(uint64_t n, std::chrono::milliseconds limit) const {
  std::unique_lock l(mu_);
  return changed_.wait_for(l, limit, [&] { return waits_ >= n; });
}

int64_t TestClock::NextDeadline() const {
  std::lock_guard l(mu_);
  int64_t next = INT64_MAX;
  for (const Waiter* w : waiters_) next = std::min(next, w->deadline_ns);
  return next;
}

}  // namespace netsnap
