// Time as the daemon reads it: wall time for what people and queries see (version times,
// events) and a monotonic clock for schedules, which a wall-clock step must not move.
// Injectable so that tests can step the wall clock and advance time without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/mutex.h"

namespace netsnap {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch; may step back or forward (NTP, an operator).
  virtual int64_t NowNs() const = 0;
  // Nanoseconds since an arbitrary start; never goes back.
  virtual int64_t MonotonicNs() const = 0;

  // Blocks on `cv` (the caller holds `mu`) until it is signalled or MonotonicNs() reaches
  // `deadline_ns` (INT64_MAX: no deadline). May return early: callers re-check their
  // condition and the time in a loop. Every timed wait of a schedule goes through here, so
  // that an injected clock, not the steady clock, decides when it is due.
  virtual void WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ns) const REQUIRES(mu);

  // The process's real clocks (CLOCK_REALTIME and CLOCK_MONOTONIC, the steady clock).
  static const Clock* Real();
};

// A clock that moves only when told to. Thread-safe. Waiters in WaitUntil wake at every
// Advance; a test can see them (waits, NextDeadline) to know that a component
// has checked the time and gone to sleep — a barrier, where otherwise it would have to sleep.
class TestClock : public Clock {
 public:
  explicit TestClock(int64_t now_ns) : now_(now_ns) {}
  int64_t NowNs() const override { return now_.load(); }
  int64_t MonotonicNs() const override { return mono_.load(); }
  void WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ns) const override REQUIRES(mu);

  // Moves both clocks forward by d and wakes every timed waiter. Must not race with the
  // destruction of an object that waits (tests advance and destroy from one thread).
  void Advance(int64_t d) EXCLUDES(mu_);
  // Moves the wall clock only (a step back when d < 0), as NTP or an operator would. Wakes
  // nobody: no schedule depends on it.
  void StepWall(int64_t d) { now_ += d; }

  // Timed waits begun so far (each WaitUntil with a finite deadline not yet reached counts
  // once).
  uint64_t waits() const;
  // Waits (really, bounded by `limit`) until waits() >= n; false on timeout.
  bool AwaitWaits(uint64_t n, std::chrono::milliseconds limit) const;
  // The earliest deadline of the threads waiting now; INT64_MAX when none waits.
  int64_t NextDeadline() const;

 private:
  struct Waiter {
    std::function<void()> wake;  // takes the waiter's mutex and signals its condition variable
    int64_t deadline_ns;
  };
  // Registers a timed wait that is about to begin; false when the deadline has passed already.
  // The caller holds the waiter's mutex, so an Advance that sees the registration cannot wake
  // it before its wait begins.
  bool Register(Waiter* w) const EXCLUDES(mu_);
  void Unregister(Waiter* w) const EXCLUDES(mu_);

  std::atomic<int64_t> now_;
  std::atomic<int64_t> mono_{1};
  mutable Mutex mu_;
  mutable CondVar changed_;                               // a wait began
  mutable std::vector<Waiter*> waiters_ GUARDED_BY(mu_);  // the timed waits in progress
  mutable uint64_t waits_ GUARDED_BY(mu_) = 0;
};

}  // namespace netsnap
