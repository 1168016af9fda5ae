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

void Clock::WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ns) const {
  if (deadline_ns == INT64_MAX) {
    cv->Wait(mu);
    return;
  }
  // The waits of the real clock end on the steady clock, which MonotonicNs() reads.
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
  MutexLock l(&mu_);
  // Checked after registering: an Advance that missed the registration moved the clock before
  // it, so this sees the new time.
  if (MonotonicNs() >= w->deadline_ns) return false;
  waiters_.push_back(w);
  ++waits_;
  changed_.SignalAll();
  return true;
}

void TestClock::Unregister(Waiter* w) const {
  MutexLock l(&mu_);
  std::erase(waiters_, w);
}

void TestClock::WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ns) const {
  if (deadline_ns == INT64_MAX) {  // not a timed wait: no Advance ends it
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
    MutexLock l(&mu_);
    for (const Waiter* w : waiters_) all.push_back(*w);
  }
  for (const Waiter& w : all) w.wake();
}

uint64_t TestClock::waits() const {
  MutexLock l(&mu_);
  return waits_;
}

bool TestClock::AwaitWaits(uint64_t n, std::chrono::milliseconds limit) const {
  MutexLock l(&mu_);
  return changed_.WaitFor(&mu_, limit, [&]() REQUIRES(mu_) { return waits_ >= n; });
}

int64_t TestClock::NextDeadline() const {
  MutexLock l(&mu_);
  int64_t next = INT64_MAX;
  for (const Waiter* w : waiters_) next = std::min(next, w->deadline_ns);
  return next;
}

}  // namespace netsnap
