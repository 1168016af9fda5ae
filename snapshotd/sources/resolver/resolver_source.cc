#include "sources/resolver/resolver_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/mutex.h"
#include "netsnap/resolver.h"
#include "netsnap/time.h"
#include "sources/resolver/file_watcher.h"
#include "sources/resolver/file_writer.h"
#include "sources/resolver/own_writes.h"
#include "sources/resolver/path_safety.h"
#include "sources/resolver/reload_command.h"
#include "sources/resolver/resolver_config.h"

namespace netsnap {

namespace {

constexpr std::chrono::milliseconds kSyncLimit{10'000};

int64_t MonoMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class ResolverSource : public Source {
 public:
  ResolverSource(std::string name, ResolverConfig config)
      : Source(std::move(name)), config_(std::move(config)), tree_(ResolverTree(config_)) {}
  ~ResolverSource() override { Stop(); }

  std::string_view kind() const override { return "resolver"; }
  std::string where() const override {
    return config_.path + " (" + std::string(ResolverFormatName(config_.format)) + ")";
  }

  Status Start(CaptureSink* sink) override;
  void Stop() override;
  Status ReadLive(Snapshot* out) override;
  // A full re-read on the source's thread, delivered when it differs from the last delivery:
  // it sees changes inotify missed too. Returns once the sink has it.
  Status Sync() override;
  Status Apply(const Delta& changes, ApplyResult* result) override;

 private:
  void Run();
  // Reads everything, re-arms the watches, reports unsafe folders, and delivers when `cause`
  // asks for it.
  Status Capture(Cause cause);
  Status Read(ResolverPass* pass) const {
    return ReadResolverFiles(config_.format, config_.path, tree_, config_.limits, pass);
  }
  // Answers the Sync calls asked so far (a capture made after they asked): captures, which
  // calls the sink, outside sync_mu_.
  void ServeSync() EXCLUDES(sync_mu_);

  const ResolverConfig config_;
  const FileTree tree_;
  CaptureSink* sink_ = nullptr;
  FileWatcher watcher_;
  int stop_fd_ = -1;
  int sync_fd_ = -1;  // an eventfd: a Sync call is waiting
  std::thread thread_;
  Snapshot last_;   // last delivered; source thread only (and Start before it runs)
  Mutex apply_mu_;  // one Apply at a time
  OwnWrites own_;   // what Apply wrote, to tell the daemon's writes from others'

  Mutex sync_mu_;
  CondVar sync_cv_;
  bool running_ GUARDED_BY(sync_mu_) = false;     // the thread serves Sync calls
  uint64_t sync_asked_ GUARDED_BY(sync_mu_) = 0;  // last ticket handed out
  uint64_t sync_done_ GUARDED_BY(sync_mu_) = 0;   // last ticket answered
  Status sync_status_ GUARDED_BY(sync_mu_);       // the answer for sync_done_
};

Status ResolverSource::Start(CaptureSink* sink) {
  if (thread_.joinable()) return Status::Internal("resolver source started twice");
  sink_ = sink;
  NETSNAP_RETURN_IF_ERROR(watcher_.Init(&tree_));
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  sync_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0 || sync_fd_ < 0) {
    return Status::IOError(std::string("eventfd: ") + std::strerror(errno));
  }
  NETSNAP_RETURN_IF_ERROR(Capture(Cause::kStartup));
  {
    MutexLock l(&sync_mu_);
    running_ = true;
  }
  thread_ = std::thread([this] { Run(); });
  return Status::OK();
}

void ResolverSource::Stop() {
  {
    MutexLock l(&sync_mu_);
    running_ = false;
  }
  sync_cv_.SignalAll();
  if (thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  for (int* fd : {&stop_fd_, &sync_fd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

Status ResolverSource::Sync() {
  if (std::this_thread::get_id() == thread_.get_id()) {
    return Status::Unavailable("sync from the capture thread itself");
  }
  MutexLock l(&sync_mu_);
  if (!running_) return Status::Unavailable("capture is stopped");
  const uint64_t ticket = ++sync_asked_;
  uint64_t one = 1;
  if (write(sync_fd_, &one, sizeof one) != sizeof one) {
    return Status::Unavailable("cannot wake the capture thread");
  }
  bool done = sync_cv_.WaitFor(&sync_mu_, kSyncLimit, [&]() REQUIRES(sync_mu_) {
    return sync_done_ >= ticket || !running_;
  });
  if (sync_done_ >= ticket) return sync_status_;
  return Status::Unavailable(done ? "capture is stopped"
                                  : "capture did not catch up within " +
                                        std::to_string(kSyncLimit.count()) + " ms");
}

void ResolverSource::ServeSync() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(sync_fd_, &count, sizeof count);  // re-arms the event
  uint64_t ticket;
  {
    MutexLock l(&sync_mu_);
    ticket = sync_asked_;
  }
  Status st = Capture(Cause::kEvent);
  {
    MutexLock l(&sync_mu_);
    sync_done_ = ticket;
    sync_status_ = st.ok() ? st : Status::Unavailable("capture failed: " + st.message());
  }
  sync_cv_.SignalAll();
}

Status ResolverSource::Capture(Cause cause) {
  ResolverPass pass;
  Status st = Read(&pass);
  if (!st.ok()) {
    st = st.WithContext(name());
    if (cause != Cause::kStartup) sink_->OnError(st);
    return st;
  }
  watcher_.Watch(pass.files, pass.folders);
  std::vector<SourceWarning> warnings;
  for (std::string& m : UnsafeFolders(tree_, pass.files)) {
    warnings.push_back({"unsafe_path", m + ": a rollback into it will be refused"});
  }
  sink_->OnWarnings(std::move(warnings));
  bool same = pass.snapshot.hash() == last_.hash() && pass.snapshot.size() == last_.size();
  if (cause == Cause::kEvent && same) {
    sink_->Count("resolver_unchanged_rereads");
    return Status::OK();
  }
  const Writer writer = own_.Judge(last_, pass.snapshot);
  last_ = pass.snapshot;
  sink_->OnSnapshot(std::move(pass.snapshot), cause, Actor{}, NowNs(), writer);
  return Status::OK();
}

void ResolverSource::Run() {
  const int64_t debounce = config_.debounce_ms;
  const int64_t max_delay = std::max<int64_t>(debounce * 10, 1);
  int64_t next_periodic = MonoMs() + config_.reread_ms;
  int64_t first_event = -1, last_event = -1;
  for (;;) {
    int64_t now = MonoMs();
    int64_t wake = next_periodic;
    if (first_event >= 0) wake = std::min({wake, last_event + debounce, first_event + max_delay});
    sink_->Alive();
    int timeout =
        static_cast<int>(std::clamp<int64_t>(wake - now, 0, CaptureSink::kAliveIntervalMs));
    struct pollfd fds[3] = {
        {watcher_.fd(), POLLIN, 0}, {stop_fd_, POLLIN, 0}, {sync_fd_, POLLIN, 0}};
    int n = poll(fds, 3, timeout);
    if (n < 0 && errno != EINTR) {
      sink_->OnError(Status::IOError(std::string("poll: ") + std::strerror(errno)));
      usleep(100'000);
    }
    if (fds[1].revents) return;
    if (n > 0 && fds[2].revents) {
      // What inotify queued so far is covered by the full re-read that answers the sync.
      bool overflow = false;
      watcher_.Drain(&overflow);
      first_event = last_event = -1;
      ServeSync();
      continue;
    }
    now = MonoMs();
    if (n > 0 && fds[0].revents) {
      bool overflow = false;
      if (watcher_.Drain(&overflow)) {
        if (first_event < 0) first_event = now;
        last_event = now;
      }
      if (overflow) sink_->Count("inotify_overflows");
    }
    if (first_event >= 0 && (now >= last_event + debounce || now >= first_event + max_delay)) {
      first_event = last_event = -1;
      (void)Capture(Cause::kEvent);  // a failure reached the sink as OnError
      now = MonoMs();
    }
    if (now >= next_periodic) {
      (void)Capture(Cause::kPeriodic);  // a failure reached the sink as OnError
      next_periodic = MonoMs() + config_.reread_ms;
    }
  }
}

Status ResolverSource::ReadLive(Snapshot* out) {
  ResolverPass pass;
  NETSNAP_RETURN_IF_ERROR(Read(&pass));
  *out = std::move(pass.snapshot);
  return Status::OK();
}

Status ResolverSource::Apply(const Delta& changes, ApplyResult* result) {
  if (config_.read_only) {
    return Status::Refused("source '" + name() + "' is read-only");
  }
  MutexLock lock(&apply_mu_);
  // Nothing is written when any destination is unsafe: the whole rollback is refused.
  for (const Change& c : changes) {
    if (KindOfKey(c.key) != RecordKind::kFile) continue;
    ConfigFile file;
    Status st = c.value ? ConfigFile::FromRecord(RecordRef{c.key, *c.value}, &file) : Status::OK();
    if (!st.ok()) continue;  // reported below, with the other failures
    st = c.value ? CheckConfigFileWrite(tree_, file) : CheckWriteSafe(tree_, c.key.substr(1));
    if (st.code() == Status::Code::kRefused) return st.WithContext("source '" + name() + "'");
  }
  bool wrote = false;
  own_.Begin();
  for (const Change& c : changes) {
    if (KindOfKey(c.key) != RecordKind::kFile) continue;  // derived from the files
    std::string path = c.key.substr(1);
    own_.Wrote(c.key, c.value);  // before the write: a capture may see it at once
    Status st;
    if (c.value) {
      ConfigFile file;
      st = ConfigFile::FromRecord(RecordRef{c.key, *c.value}, &file);
      if (st.ok()) st = WriteConfigFile(tree_, file);
    } else {
      st = RemoveConfigFile(tree_, path);
    }
    if (st.ok()) {
      ++result->applied;
      wrote = true;
    } else {
      result->failures.push_back(ApplyFailure{c.key, st.message()});
    }
  }
  if (wrote && !config_.reload.empty()) {
    Status st = RunReloadCommand(config_.reload, config_.reload_timeout_ms);
    if (!st.ok()) return st.WithContext("source '" + name() + "'");
  }
  return Status::OK();
}

}  // namespace

Status NewResolverSource(const SourceSpec& spec, std::unique_ptr<Source>* out) {
  ResolverConfig config;
  NETSNAP_RETURN_IF_ERROR(ParseResolverConfig(spec, &config));
  *out = std::make_unique<ResolverSource>(spec.name, std::move(config));
  return Status::OK();
}

Snapshot ResolverFileRecords(const Snapshot& target) {
  SnapshotBuilder b;
  for (RecordRef r : target) {
    if (KindOfKey(r.key) == RecordKind::kFile) b.Add(r.key, r.value);
  }
  Snapshot out;
  (void)b.Finish(&out);  // input is sorted and unique, so this cannot fail
  return out;
}

}  // namespace netsnap
