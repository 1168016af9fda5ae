// netsnap::Mutex, MutexLock and CondVar (common/mutex.h): the waits end on their predicate or
// deadline, and the lock excludes. No assert depends on how long anything took.
#include "common/mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace netsnap {
namespace {

TEST(Mutex, WaitWithPredicateSeesTheChangeMadeUnderTheLock) {
  Mutex mu;
  CondVar cv;
  int value = 0;
  std::thread producer([&] {
    for (int i = 1; i <= 3; ++i) {
      MutexLock l(&mu);
      value = i;
      cv.SignalAll();
    }
  });
  {
    MutexLock l(&mu);
    cv.Wait(&mu, [&]() REQUIRES(mu) { return value == 3; });
    EXPECT_EQ(value, 3);
  }
  producer.join();
}

TEST(Mutex, WaitUntilReturnsFalseWhenTheDeadlinePasses) {
  Mutex mu;
  CondVar cv;
  MutexLock l(&mu);
  // Nobody signals: the deadline ends both waits, and the predicate form reports it false.
  EXPECT_FALSE(cv.WaitUntil(&mu, std::chrono::steady_clock::now()));
  EXPECT_FALSE(cv.WaitUntil(&mu, std::chrono::steady_clock::now() + std::chrono::milliseconds(1),
                            [] { return false; }));
  EXPECT_FALSE(cv.WaitFor(&mu, std::chrono::milliseconds(1), [] { return false; }));
  // A predicate already true returns true without waiting.
  EXPECT_TRUE(cv.WaitFor(&mu, std::chrono::hours(1), [] { return true; }));
}

TEST(Mutex, WaitForReturnsTrueWhenThePredicateTurnsTrue) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::thread setter([&] {
    MutexLock l(&mu);
    ready = true;
    cv.Signal();
  });
  {
    MutexLock l(&mu);
    EXPECT_TRUE(cv.WaitFor(&mu, std::chrono::hours(1), [&]() REQUIRES(mu) { return ready; }));
  }
  setter.join();
}

TEST(Mutex, MutexLockExcludesAnotherThread) {
  Mutex mu;
  long counter = 0;
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::atomic<int> started{0};
  constexpr int kRounds = 200000;
  auto work = [&] {
    // Both threads run their rounds at the same time, not one after the other.
    started.fetch_add(1);
    while (started.load() < 2) std::this_thread::yield();
    for (int i = 0; i < kRounds; ++i) {
      MutexLock l(&mu);
      if (inside.fetch_add(1) != 0) overlapped = true;
      ++counter;
      inside.fetch_sub(1);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_FALSE(overlapped);
  MutexLock l(&mu);
  EXPECT_EQ(counter, 2L * kRounds);
}

TEST(Mutex, TryLockFailsWhileAnotherThreadHoldsIt) {
  Mutex mu;
  bool got = true;
  {
    MutexLock l(&mu);
    std::thread other([&] {
      got = false;
      if (mu.TryLock()) {
        got = true;
        mu.Unlock();
      }
    });
    other.join();
  }
  EXPECT_FALSE(got);
  if (mu.TryLock()) {
    mu.Unlock();
  } else {
    ADD_FAILURE() << "TryLock fails on a free mutex";
  }
}

}  // namespace
}  // namespace netsnap
