// The API's worker threads: handlers that may block (a rollback waits for the kernel, a reload
// command and probes; a capture reads the whole live table; a whole version or a diff rebuilds
// snapshots from the store) run here, so the I/O threads only parse, authenticate, route and
// write, and /v1/health answers while a rollback runs. Admission is bounded: when `max_queued`
// jobs already wait, new work is refused (the session answers 503) rather than queued without
// end. Continuations of responses already admitted (the next piece of a streamed body) are
// always queued: there is at most one per open connection, so the connection cap bounds them.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

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
  void Stop();

 private:
  bool Push(Job job, bool bounded);
  void Loop();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> admitted_;       // GUARDED_BY(mu_): new requests, at most max_queued_
  std::deque<Job> continuations_;  // GUARDED_BY(mu_): served first, they hold memory already
  bool stopping_ = false;          // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

}  // namespace netsnap::api
