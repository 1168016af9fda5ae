// The API's worker threads: handlers that may block (a rollback waits for the kernel, a reload
// command and probes; a capture reads the whole live table; a whole version or a diff rebuilds
// snapshots from the store) run here, so the I/O threads only parse, authenticate, route and
// write, and /v1/health answers while a rollback runs. Admission is bounded: when `max_queued`
// jobs already wait, new work is refused (the session answers 503) rather than queued without
// end. Continuations of responses already admitted (the next piece of a streamed body) are
// always queued: there is at most one per open connection, so the connection cap bounds them.
// Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "common/mutex.h"

namespace netsnap::api {

class WorkerPool {
 public:
  using Job = std::function<void()>;

  WorkerPool(size_t threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues a new request's job; false (and `job` dropped) when max_queued jobs already wait or
  // the pool has stopped.
  [[nodiscard]] bool TrySubmit(Job job);
  // Queues the continuation of an admitted response; false only after Stop.
  bool Continue(Job job);
  // Lets running jobs finish, drops the queued ones (destroying them on the calling thread) and
  // joins the threads. Idempotent.
  void Stop() EXCLUDES(mu_);

 private:
  bool Push(Job job, bool bounded) EXCLUDES(mu_);
  // Runs jobs outside mu_.
  void Loop() EXCLUDES(mu_);

  const size_t max_queued_;
  Mutex mu_;
  CondVar wake_;
  std::deque<Job> admitted_ GUARDED_BY(mu_);  // new requests, at most max_queued_
  // Served first: they hold memory already.
  std::deque<Job> continuations_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace netsnap::api
