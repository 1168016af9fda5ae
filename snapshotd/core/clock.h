// Time as the daemon reads it: wall time for what people and queries see (version times,
// events) and a monotonic clock for schedules, which a wall-clock step must not move.
// Injectable so that tests can step the wall clock and advance time without sleeping.
#pragma once

#include <atomic>
#include <cstdint>

namespace netsnap {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch; may step back or forward (NTP, an operator).
  virtual int64_t NowNs() const = 0;
  // Nanoseconds since an arbitrary start; never goes back.
  virtual int64_t MonotonicNs() const = 0;

  // The process's real clocks (CLOCK_REALTIME and CLOCK_MONOTONIC).
  static const Clock* Real();
};

// A clock that moves only when told to. Thread-safe.
class TestClock : public Clock {
 public:
  explicit TestClock(int64_t now_ns) : now_(now_ns) {}
  int64_t NowNs() const override { return now_.load(); }
  int64_t MonotonicNs() const override { return mono_.load(); }
  // Moves both clocks forward by d.
  void Advance(int64_t d) {
    now_ += d;
    mono_ += d;
  }
  // Moves the wall clock only (a step back when d < 0), as NTP or an operator would.
  void StepWall(int64_t d) { now_ += d; }

 private:
  std::atomic<int64_t> now_;
  std::atomic<int64_t> mono_{1};
};

}  // namespace netsnap
