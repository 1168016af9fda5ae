// The capture thread of one kernel source. It enters the source's namespace, subscribes to
// route, rule, next-hop, link and address notifications, delivers a full dump (cause startup),
// and then folds notifications into a pending delta that it delivers once the burst is quiet
// for debounce_ms, or max_delay_ms after its first change, whichever comes first. A burst ends
// early when a change comes from a different process, so each delivery has one actor.
//
// Full re-dumps, delivered as snapshots: after link, address or next-hop-deletion events (once
// the burst settles), at once after a notification overflow (ENOBUFS, counted as
// "netlink_overflows"), and every resync_s (cause periodic). A delivery's time is that of the
// last notification read before it (a periodic or first dump: when the dump began), so that
// debounce and dump do not move a change later than it was seen.
//
// Notifications are read in rounds at least a millisecond apart: after a round that read any,
// the thread pauses instead of waiting in poll for the next one. The kernel wakes a waiting
// reader from the writer's system call, and a wake-up per change slowed a 30k-route `ip -batch`
// by a third. A lone change is read at once; the one after it up to a millisecond late.
// "notification_wakeups" counts the times the thread waited in poll and was woken by a
// notification: at most one a millisecond, however the writer is paced, between sync requests
// (which end a pause early).
//
// Sync() is a barrier for other threads: the capture thread reads every notification already
// queued (the kernel queues a change's notifications before it acknowledges the request that
// made it), performs a pending re-dump at once, and delivers the pending delta without waiting
// for the debounce; then the caller is woken.
//
// Whose changes a delivery holds (Writer, source.h) is known by fact: a notification's
// nlmsg_pid is the port id of the socket whose request caused it (checked on Linux 6.18 for
// routes, rules and next-hop objects: the daemon's apply socket's port id for its own writes,
// `ip`'s pid for `ip`'s), so a notification from the apply socket (BeginOwnWrites) is the
// daemon's, any other is someone else's. A burst ends early when the writer changes, as it
// does when the actor changes. A re-dump is the daemon's while its writes are in progress or
// not yet delivered (since BeginOwnWrites, until a Sync after EndOwnWrites): it cannot tell
// writers apart, see Writer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "netsnap/source.h"
#include "netsnap/version.h"
#include "sources/kernel/actor_cache.h"
#include "sources/kernel/change_decoder.h"
#include "sources/kernel/kernel_config.h"
#include "sources/kernel/netlink_socket.h"

namespace netsnap::kernel {

class CaptureLoop {
 public:
  // `netns_fd` (-1 = own namespace) stays owned by the caller and must outlive the loop.
  CaptureLoop(const KernelConfig& config, int netns_fd, CaptureSink* sink);
  ~CaptureLoop();
  CaptureLoop(const CaptureLoop&) = delete;
  CaptureLoop& operator=(const CaptureLoop&) = delete;

  // Starts the thread and waits until the first snapshot was delivered or failed.
  Status Start();
  // Stops the thread; no sink call happens after Stop returns. Wakes waiting Sync calls.
  void Stop();

  // Returns once every change made before the call has been delivered to the sink. Thread-safe;
  // not from the sink's callbacks. Unavailable when the capture is stopped, when the wait
  // exceeds `limit`, or when the catch-up failed (the caller can read the live state instead).
  Status Sync(std::chrono::milliseconds limit);
  // Callers inside Sync now (for tests that stop the loop under waiting callers).
  size_t SyncWaiters();

  // Around every change this process makes through the socket with port id `port` (the apply
  // socket). With `filter` (a large change), the monitor socket drops that port's notifications
  // in the kernel (a socket filter on nlmsg_pid), so that no notification per changed record is
  // queued, read or folded, and nothing is re-dumped meanwhile; changes others make in between
  // still arrive, with their actor. EndOwnWrites then removes the filter and asks for a re-dump
  // for the daemon's part, which the next Sync (or the loop, at once) delivers after what
  // others changed meanwhile. Thread-safe; calls pair,
  // not nested.
  void BeginOwnWrites(uint32_t port, bool filter) EXCLUDES(own_mu_);
  void EndOwnWrites() EXCLUDES(own_mu_);
  // The number of records of the last full dump (0 before the first).
  size_t last_dump_records() const { return dump_records_; }

 private:
  using Clock = std::chrono::steady_clock;

  void Run();
  Status Open();
  // Empties the notification queue (what it holds happened before the dump, which includes
  // it), then dumps and delivers a snapshot. The emptying matters after an overflow: netlink
  // then drops every notification until the queue has been emptied once, and reports no second
  // overflow, so a dump made over a non-empty queue would miss the changes made during it.
  Status Redump(Cause cause, const Actor& actor);
  // After filtered own writes: delivers what others changed meanwhile, then re-dumps.
  Status RedumpAfterOwnWrites();
  // Whose changes a re-dump now holds (see the top of this file).
  Writer RedumpWriter() EXCLUDES(own_mu_);
  void DiscardQueued();
  // Reads what is queued (a bounded round). Returns the milliseconds to pause before the next
  // round: -1 (wait in poll instead) when the round read nothing or failed, 0 when it stopped
  // short of an empty queue, otherwise 1.
  int ReadNotifications();
  // Reads the notification queue until it is empty (bounded in time).
  Status Drain();
  // Handles overflow, due re-dumps, quiet bursts and the periodic re-dump; with `now_all`,
  // whatever is pending is done now. Returns a failed re-dump's status.
  Status Settle(bool now_all);
  // Whether the pending delta is due for delivery.
  bool FlushDue(Clock::time_point now, bool now_all) const;
  // The highest sync ticket asked for, and clears the wake-up event.
  uint64_t TakeSyncRequests();
  void FinishSync(uint64_t ticket, const Status& s);
  void OnMessage(const nlmsghdr* nlh);
  void Flush();
  void ScheduleRedump(Clock::time_point at, const Actor& actor);
  int TimeoutMs() const;

  const KernelConfig config_;
  const int netns_fd_;
  CaptureSink* const sink_;
  std::thread thread_;
  std::promise<Status> started_;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;

  // Sync tickets: a caller takes the next number and waits until the capture thread has
  // completed a round that started after it asked.
  Mutex sync_mu_;
  CondVar sync_cv_;
  uint64_t sync_asked_ GUARDED_BY(sync_mu_) = 0;  // last ticket handed out
  uint64_t sync_done_ GUARDED_BY(sync_mu_) = 0;   // last ticket a round was completed for
  uint64_t sync_ok_ GUARDED_BY(sync_mu_) = 0;     // last ticket a round succeeded for
  Status sync_error_ GUARDED_BY(sync_mu_);        // why the last failed round failed
  size_t sync_waiters_ GUARDED_BY(sync_mu_) = 0;  // callers inside Sync
  bool exited_ GUARDED_BY(sync_mu_) = false;      // the capture thread is gone

  // The daemon's own writes (BeginOwnWrites).
  Mutex own_mu_;
  bool applying_ GUARDED_BY(own_mu_) = false;   // between BeginOwnWrites and EndOwnWrites
  bool own_wrote_ GUARDED_BY(own_mu_) = false;  // own writes not yet delivered for sure

  // Capture-thread state.
  std::unique_ptr<NetlinkSocket> monitor_;
  std::unique_ptr<NetlinkSocket> dumper_;
  ChangeDecoder decoder_;
  ActorCache actors_;
  Delta pending_;
  Actor pending_actor_;
  Writer pending_writer_ = Writer::kOther;
  int64_t pending_time_ns_ = 0;
  Clock::time_point first_change_{};
  Clock::time_point last_change_{};
  std::optional<Clock::time_point> redump_at_;
  Actor redump_actor_;
  Clock::time_point next_resync_{};
  bool overflow_ = false;
  int64_t last_read_ns_ = 0;  // when the last notification was read since the last re-dump

  // Set by other threads.
  std::atomic<uint32_t> own_port_{0};      // the apply socket's port id; 0: none yet
  std::atomic<bool> filtered_{false};      // the own port's notifications are dropped
  std::atomic<bool> filter_ended_{false};  // EndOwnWrites asks for RedumpAfterOwnWrites
  std::atomic<size_t> dump_records_{0};
};

}  // namespace netsnap::kernel
