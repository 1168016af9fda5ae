#include "api/worker_pool.h"

namespace netsnap::api {

WorkerPool::WorkerPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::TrySubmit(Job job) { return Push(std::move(job), true); }

bool WorkerPool::Continue(Job job) { return Push(std::move(job), false); }

bool WorkerPool::Push(Job job, bool bounded) {
  {
    MutexLock l(&mu_);
    if (stopping_ || (bounded && admitted_.size() >= max_queued_)) return false;
    (bounded ? admitted_ : continuations_).push_back(std::move(job));
  }
  wake_.Signal();
  return true;
}

void WorkerPool::Loop() {
  for (;;) {
    Job job;
    {
      MutexLock l(&mu_);
      wake_.Wait(&mu_, [this]() REQUIRES(mu_) {
        return stopping_ || !admitted_.empty() || !continuations_.empty();
      });
      if (stopping_) return;
      std::deque<Job>& from = continuations_.empty() ? admitted_ : continuations_;
      job = std::move(from.front());
      from.pop_front();
    }
    job();
  }
}

void WorkerPool::Stop() {
  std::deque<Job> dropped_admitted, dropped_continuations;
  {
    MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
    dropped_admitted.swap(admitted_);
    dropped_continuations.swap(continuations_);
  }
  wake_.SignalAll();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // The dropped jobs are destroyed here, outside the lock: they may hold sessions.
}

}  // namespace netsnap::api
