#include "sources/kernel/capture_loop.h"

#include <linux/rtnetlink.h>
#include <malloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "netsnap/time.h"
#include "sources/kernel/netns.h"
#include "sources/kernel/state_reader.h"

namespace netsnap::kernel {

namespace {

constexpr int kReadsPerRound = 256;  // notifications read between deadline checks
constexpr int kRoundPauseMs = 1;     // after a round that emptied the queue (see capture_loop.h)
constexpr int kWaitInPoll = -1;      // no pause: wait for the next notification
constexpr auto kRetryAfterError = std::chrono::seconds(1);
constexpr auto kDrainLimit = std::chrono::seconds(10);  // a sync gives up reading after this

const std::vector<unsigned> kGroups = {
    RTNLGRP_LINK,      RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,  RTNLGRP_IPV4_RULE,
    RTNLGRP_IPV6_RULE, RTNLGRP_NEXTHOP,    RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
};

}  // namespace

CaptureLoop::CaptureLoop(const KernelConfig& config, int netns_fd, CaptureSink* sink)
    : config_(config), netns_fd_(netns_fd), sink_(sink), decoder_(&config_.filter) {}

CaptureLoop::~CaptureLoop() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status CaptureLoop::Start() {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Status::IOError("eventfd failed");
  std::future<Status> result = started_.get_future();
  thread_ = std::thread([this] { Run(); });
  Status s = result.get();
  if (!s.ok()) Stop();
  return s;
}

void CaptureLoop::Stop() {
  stop_ = true;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  {
    MutexLock l(&sync_mu_);
    exited_ = true;
  }
  sync_cv_.SignalAll();
}

Status CaptureLoop::Sync(std::chrono::milliseconds limit) {
  if (std::this_thread::get_id() == thread_.get_id()) {
    return Status::Unavailable("sync from the capture thread itself");
  }
  MutexLock l(&sync_mu_);
  if (exited_ || stop_ || wake_fd_ < 0) return Status::Unavailable("capture is stopped");
  const uint64_t ticket = ++sync_asked_;
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof one) != sizeof one) {
    return Status::Unavailable("cannot wake the capture thread");
  }
  ++sync_waiters_;
  bool done = sync_cv_.WaitFor(
      &sync_mu_, limit, [&]() REQUIRES(sync_mu_) { return sync_done_ >= ticket || exited_; });
  --sync_waiters_;
  if (sync_ok_ >= ticket) return Status::OK();
  if (!done) {
    return Status::Unavailable("capture did not catch up within " + std::to_string(limit.count()) +
                               " ms");
  }
  if (sync_done_ < ticket) return Status::Unavailable("capture is stopped");
  return Status::Unavailable("capture could not catch up: " + sync_error_.message());
}

size_t CaptureLoop::SyncWaiters() {
  MutexLock l(&sync_mu_);
  return sync_waiters_;
}

void CaptureLoop::BeginOwnWrites(uint32_t port, bool filter) {
  {
    MutexLock l(&own_mu_);
    applying_ = true;
    own_wrote_ = true;
  }
  own_port_ = port;
  // Without the filter the notifications are followed; a failed filter costs only that.
  filtered_ = filter && monitor_ && monitor_->DropNotificationsFrom(port).ok();
}

void CaptureLoop::EndOwnWrites() {
  if (filtered_) {
    Status s = monitor_->AcceptAllNotifications();
    if (!s.ok()) sink_->OnError(s.WithContext("after the daemon's own change"));
    filtered_ = false;
    filter_ended_ = true;
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  }
  MutexLock l(&own_mu_);
  applying_ = false;
}

Writer CaptureLoop::RedumpWriter() {
  MutexLock l(&own_mu_);
  return applying_ || own_wrote_ ? Writer::kDaemon : Writer::kOther;
}

Status CaptureLoop::Open() {
  NETSNAP_RETURN_IF_ERROR(EnterNetns(netns_fd_));
  // Subscribe before the first dump so that no change made during it is missed.
  NETSNAP_RETURN_IF_ERROR(NetlinkSocket::Open(kGroups, config_.rcvbuf, &monitor_));
  return NetlinkSocket::Open({}, 0, &dumper_);
}

void CaptureLoop::Run() {
  Status s = Open();
  if (s.ok()) s = Redump(Cause::kStartup, Actor{});
  started_.set_value(s);

  pollfd fds[2] = {{s.ok() ? monitor_->fd() : -1, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  // After a round that read something, the next round comes after a pause (or at once when the
  // round stopped short of an empty queue); only a sync request ends a pause early. Otherwise
  // the thread waits in poll for the next notification.
  int pause_ms = kWaitInPoll;
  while (s.ok() && !stop_) {
    const bool paused = pause_ms != kWaitInPoll;
    sink_->Alive();
    int timeout = paused ? pause_ms : TimeoutMs();
    if (timeout < 0 || timeout > CaptureSink::kAliveIntervalMs) {
      timeout = CaptureSink::kAliveIntervalMs;
    }
    fds[0].revents = fds[1].revents = 0;
    int n = paused ? poll(&fds[1], 1, timeout) : poll(fds, 2, timeout);
    if (stop_) break;
    const uint64_t ticket = n > 0 && (fds[1].revents & POLLIN) ? TakeSyncRequests() : 0;
    if (ticket) {
      // Everything queued now was caused before the request: read it all, deliver at once.
      Status r = Drain();
      if (stop_) break;
      Status d = Settle(/*now_all=*/true);
      FinishSync(ticket, r.ok() ? d : r);
      pause_ms = kWaitInPoll;
      continue;
    }
    if (paused || (n > 0 && (fds[0].revents & (POLLIN | POLLERR)))) {
      if (!paused) sink_->Count("notification_wakeups");
      pause_ms = ReadNotifications();
    }
    if (stop_) break;
    (void)Settle(/*now_all=*/false);  // a failed re-dump is reported to the sink and retried
  }
  {
    MutexLock l(&sync_mu_);
    exited_ = true;
  }
  sync_cv_.SignalAll();
}

uint64_t CaptureLoop::TakeSyncRequests() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof count);  // re-arms the event
  MutexLock l(&sync_mu_);
  return sync_asked_ > sync_done_ ? sync_asked_ : 0;
}

void CaptureLoop::FinishSync(uint64_t ticket, const Status& s) {
  if (s.ok()) {
    // Every own write made before the ticket has been delivered.
    MutexLock l(&own_mu_);
    if (!applying_) own_wrote_ = false;
  }
  {
    MutexLock l(&sync_mu_);
    sync_done_ = ticket;
    if (s.ok()) {
      sync_ok_ = ticket;
    } else {
      sync_error_ = s;
    }
  }
  sync_cv_.SignalAll();
}

Status CaptureLoop::Settle(bool now_all) {
  const auto now = Clock::now();
  if (filter_ended_.exchange(false)) return RedumpAfterOwnWrites();
  if (filtered_) {
    // Re-dumps wait for EndOwnWrites (a dump slows the writes it races); others' changes go.
    if (FlushDue(now, now_all)) Flush();
    return Status::OK();
  }
  if (overflow_) {
    overflow_ = false;
    sink_->Count("netlink_overflows");
    ScheduleRedump(now, Actor{});
  }
  if (redump_at_ && (now_all || now >= *redump_at_)) {
    Actor actor = redump_actor_;
    redump_at_.reset();
    Status r = Redump(Cause::kEvent, actor);
    if (!r.ok()) {
      sink_->OnError(r);
      ScheduleRedump(Clock::now() + kRetryAfterError, actor);
    }
    return r;
  }
  if (FlushDue(now, now_all)) Flush();
  if (config_.resync_s > 0 && now >= next_resync_ && !redump_at_) {
    Status r = Redump(Cause::kPeriodic, Actor{});
    if (!r.ok()) sink_->OnError(r);
  }
  return Status::OK();
}

bool CaptureLoop::FlushDue(Clock::time_point now, bool now_all) const {
  return !pending_.empty() &&
         (now_all || now >= last_change_ + std::chrono::milliseconds(config_.debounce_ms) ||
          now >= first_change_ + std::chrono::milliseconds(config_.max_delay_ms));
}

Status CaptureLoop::RedumpAfterOwnWrites() {
  // What is queued now was changed by others while the filter dropped the daemon's
  // notifications: delivered first under their names, so the re-dump holds the daemon's part.
  redump_at_.reset();  // the re-dump below covers one that was due
  Status s = Drain();
  Flush();
  if (overflow_) {  // what others changed is in the re-dump, without their names
    overflow_ = false;
    sink_->Count("netlink_overflows");
  }
  if (s.ok()) s = Redump(Cause::kEvent, Actor{});
  if (!s.ok()) {
    sink_->OnError(s);
    ScheduleRedump(Clock::now() + kRetryAfterError, Actor{});
  }
  return s;
}

int CaptureLoop::TimeoutMs() const {
  const auto now = Clock::now();
  std::optional<Clock::time_point> deadline;
  auto consider = [&](Clock::time_point t) {
    if (!deadline || t < *deadline) deadline = t;
  };
  if (!pending_.empty()) {
    consider(std::min(last_change_ + std::chrono::milliseconds(config_.debounce_ms),
                      first_change_ + std::chrono::milliseconds(config_.max_delay_ms)));
  }
  if (!filtered_) {  // EndOwnWrites wakes the loop
    if (redump_at_) consider(*redump_at_);
    if (config_.resync_s > 0) consider(next_resync_);
  }
  if (!deadline) return -1;
  if (*deadline <= now) return 0;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(*deadline - now).count();
  return static_cast<int>(std::min<int64_t>((us + 999) / 1000, 60'000));
}

Status CaptureLoop::Redump(Cause cause, const Actor& actor) {
  DiscardQueued();
  // After events, the version's time is that of the last notification read, as for a delta
  // (debounce and dump come after the change); otherwise, when the dump begins.
  const int64_t as_of_ns = cause == Cause::kEvent && last_read_ns_ ? last_read_ns_ : NowNs();
  last_read_ns_ = 0;
  NETSNAP_RETURN_IF_ERROR(ReadLinks(dumper_.get(), &decoder_.links()));
  StateDump dump;
  NETSNAP_RETURN_IF_ERROR(ReadState(dumper_.get(), config_.filter, decoder_.links(), &dump));
  decoder_.ResetMultipath(std::move(dump.ipv6_multipath));
  dump_records_ = dump.snapshot.size();
  if (dump.duplicates) sink_->Count("duplicate_keys", dump.duplicates);
  pending_.clear();  // the snapshot supersedes what was folded so far
  pending_actor_ = Actor{};
  next_resync_ = Clock::now() + std::chrono::seconds(config_.resync_s);
  // Decided after the dump, so that own writes that began during it count.
  const Writer writer = RedumpWriter();
  sink_->OnSnapshot(std::move(dump.snapshot), cause, actor, as_of_ns, writer);
  malloc_trim(0);  // give the dump's transient memory back to the system
  return Status::OK();
}

int CaptureLoop::ReadNotifications() {
  bool drained = false;
  int messages = 0;
  Status s = monitor_->ReadNotifications(
      [&](const nlmsghdr* nlh) {
        ++messages;
        OnMessage(nlh);
        return Status::OK();
      },
      kReadsPerRound, &overflow_, &drained);
  if (!s.ok()) {
    sink_->OnError(s);
    return kWaitInPoll;
  }
  if (!drained) return 0;
  return messages > 0 ? kRoundPauseMs : kWaitInPoll;
}

void CaptureLoop::DiscardQueued() {
  const auto give_up = Clock::now() + kDrainLimit;
  bool overflow = false;  // moot: the dump follows
  bool drained = false;
  while (!drained && !stop_ && Clock::now() < give_up) {
    Status s = monitor_->ReadNotifications(
        [this](const nlmsghdr*) {
          last_read_ns_ = NowNs();
          return Status::OK();
        },
        kReadsPerRound, &overflow, &drained);
    if (!s.ok()) return;
  }
}

Status CaptureLoop::Drain() {
  const auto give_up = Clock::now() + kDrainLimit;
  for (;;) {
    if (stop_) return Status::Unavailable("capture is stopping");
    bool drained = false;
    Status s = monitor_->ReadNotifications(
        [this](const nlmsghdr* nlh) {
          OnMessage(nlh);
          return Status::OK();
        },
        kReadsPerRound, &overflow_, &drained);
    if (!s.ok()) {
      sink_->OnError(s);
      return s;
    }
    if (drained) return Status::OK();
    if (Clock::now() >= give_up) {
      return Status::Unavailable("notifications kept coming for " +
                                 std::to_string(kDrainLimit.count()) + " s");
    }
  }
}

void CaptureLoop::OnMessage(const nlmsghdr* nlh) {
  const int64_t read_ns = NowNs();
  last_read_ns_ = read_ns;
  // A re-dump is due: it shows this change too, and rebuilds what decoding keeps (link names,
  // multipath routes), so a burst that comes meanwhile costs no decoding.
  if (redump_at_) return;
  // Read the actor first: the process may exit soon after the kernel answers it.
  const Actor& actor = actors_.Lookup(nlh->nlmsg_pid, read_ns);
  Change change;
  ChangeDecoder::Effect effect;
  Status s = decoder_.Decode(nlh, &change, &effect);
  if (!s.ok()) {
    sink_->OnError(s.WithContext("notification"));
    ScheduleRedump(Clock::now(), actor);
    return;
  }
  if (effect == ChangeDecoder::Effect::kRedump) {
    // Let the event's burst settle (link changes come in flurries), then re-dump once.
    ScheduleRedump(Clock::now() + std::chrono::milliseconds(config_.debounce_ms), actor);
    return;
  }
  if (effect != ChangeDecoder::Effect::kChange) return;
  const uint32_t own = own_port_.load(std::memory_order_relaxed);
  const Writer writer = own != 0 && nlh->nlmsg_pid == own ? Writer::kDaemon : Writer::kOther;
  const auto now = Clock::now();
  if (!pending_.empty() && (actor.pid != pending_actor_.pid || writer != pending_writer_)) {
    Flush();
  }
  if (pending_.empty()) {
    first_change_ = now;
    pending_actor_ = actor;
    pending_writer_ = writer;
  }
  last_change_ = now;
  pending_time_ns_ = read_ns;
  pending_.push_back(std::move(change));
}

void CaptureLoop::ScheduleRedump(Clock::time_point at, const Actor& actor) {
  if (!redump_at_) redump_actor_ = actor;
  if (!redump_at_ || at < *redump_at_) redump_at_ = at;
}

void CaptureLoop::Flush() {
  if (pending_.empty()) return;
  Delta delta;
  delta.swap(pending_);
  NormalizeDelta(&delta);
  sink_->OnChanges(std::move(delta), Cause::kEvent, pending_actor_, pending_time_ns_,
                   pending_writer_);
  pending_actor_ = Actor{};
  pending_writer_ = Writer::kOther;
}

}  // namespace netsnap::kernel
