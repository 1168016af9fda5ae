// A mutex, a scoped lock and a condition variable that clang's thread-safety analysis understands
// (-Wthread-safety, built by `tools/dev test`), as LevelDB's port::Mutex and db_impl.h use them.
//
// Declare what a mutex guards where the member is declared, and what a function needs where it is
// declared:
//
//   Mutex mu_;
//   Snapshot current_ GUARDED_BY(mu_);
//   Status CommitLocked(...) REQUIRES(mu_);
//   void Publish() EXCLUDES(mu_);   // calls out: must not hold mu_
//
//   cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return !queue_.empty(); });
//
// GCC ignores the attributes; clang checks them. Mutex is also BasicLockable (lock/unlock) for
// std::unique_lock and std::scoped_lock, which the analysis does not follow: prefer MutexLock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define NETSNAP_TSA(x) __attribute__((x))
#else
#define NETSNAP_TSA(x)
#endif

#define CAPABILITY(x) NETSNAP_TSA(capability(x))
#define SCOPED_CAPABILITY NETSNAP_TSA(scoped_lockable)
#define GUARDED_BY(x) NETSNAP_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) NETSNAP_TSA(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) NETSNAP_TSA(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) NETSNAP_TSA(acquired_after(__VA_ARGS__))
#define REQUIRES(...) NETSNAP_TSA(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) NETSNAP_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) NETSNAP_TSA(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) NETSNAP_TSA(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) NETSNAP_TSA(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) NETSNAP_TSA(assert_capability(x))
#define RETURN_CAPABILITY(x) NETSNAP_TSA(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS NETSNAP_TSA(no_thread_safety_analysis)

namespace netsnap {

class CondVar;

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // For code that states a lock is held where the analysis cannot follow (a callback).
  void AssertHeld() ASSERT_CAPABILITY(this) {}

  // BasicLockable, for std::unique_lock and std::condition_variable_any.
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable. The caller holds the Mutex it passes around every wait. Waits may wake
// spuriously: callers loop on their condition, or use the predicate forms, whose predicate runs
// with the mutex held (annotate a lambda that reads guarded members `REQUIRES(mu_)`).
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> l(mu->mu_, std::adopt_lock);
    cv_.wait(l);
    l.release();
  }
  template <typename Pred>
  void Wait(Mutex* mu, Pred pred) REQUIRES(mu) NO_THREAD_SAFETY_ANALYSIS {
    while (!pred()) Wait(mu);
  }
  // False when the deadline passed first.
  template <typename ClockT, typename Duration>
  bool WaitUntil(Mutex* mu, const std::chrono::time_point<ClockT, Duration>& deadline)
      REQUIRES(mu) {
    std::unique_lock<std::mutex> l(mu->mu_, std::adopt_lock);
    bool woken = cv_.wait_until(l, deadline) == std::cv_status::no_timeout;
    l.release();
    return woken;
  }
  // The predicate's value when the wait ended (false: the deadline passed first).
  template <typename ClockT, typename Duration, typename Pred>
  bool WaitUntil(Mutex* mu, const std::chrono::time_point<ClockT, Duration>& deadline, Pred pred)
      REQUIRES(mu) NO_THREAD_SAFETY_ANALYSIS {
    while (!pred()) {
      if (!WaitUntil(mu, deadline)) return pred();
    }
    return true;
  }
  template <typename Rep, typename Period, typename Pred>
  bool WaitFor(Mutex* mu, const std::chrono::duration<Rep, Period>& d, Pred pred) REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + d, std::move(pred));
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace netsnap
