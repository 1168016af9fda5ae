// The capture thread of one kernel source. It enters the source's namespace, subscribes to
// route, rule, next-hop, link and address notifications, delivers a full dump (cause startup),
// and then folds notifications into a pending delta that it delivers once the burst is quiet
// for debounce_ms, or max_delay_ms after its first change, whichever comes first. A burst ends
// early when a change comes from a different process, so each delivery has one actor.
//
// Full re-dumps, delivered as snapshots: after link, address or next-hop-deletion events (once
// the burst settles), at once after a notification overflow (ENOBUFS, counted as
// "netlink_overflows"), and every resync_s (cause periodic).
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "netsnap/version.h"
#include "sources/kernel/actor_cache.h"
#include "sources/kernel/change_decoder.h"
#include "sources/kernel/kernel_config.h"
#include "sources/kernel/netlink_socket.h"
#include "sources/source.h"

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
  // Stops the thread; no sink call happens after Stop returns.
  void Stop();

 private:
  using Clock = std::chrono::steady_clock;

  void Run();
  Status Open();
  Status Redump(Cause cause, const Actor& actor);
  void ReadNotifications();
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

  // Capture-thread state.
  std::unique_ptr<NetlinkSocket> monitor_;
  std::unique_ptr<NetlinkSocket> dumper_;
  ChangeDecoder decoder_;
  ActorCache actors_;
  Delta pending_;
  Actor pending_actor_;
  int64_t pending_time_ns_ = 0;
  Clock::time_point first_change_{};
  Clock::time_point last_change_{};
  std::optional<Clock::time_point> redump_at_;
  Actor redump_actor_;
  Clock::time_point next_resync_{};
  bool overflow_ = false;
};

}  // namespace netsnap::kernel
