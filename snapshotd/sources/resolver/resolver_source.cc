#include "sources/resolver/resolver_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "netsnap/resolver.h"
#include "netsnap/time.h"
#include "sources/resolver/file_watcher.h"
#include "sources/resolver/file_writer.h"
#include "sources/resolver/reload_command.h"
#include "sources/resolver/resolver_config.h"

namespace netsnap {

namespace {

int64_t MonoMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class ResolverSource : public Source {
 public:
  ResolverSource(std::string name, ResolverConfig config)
      : Source(std::move(name)), config_(std::move(config)) {}
  ~ResolverSource() override { Stop(); }

  std::string_view kind() const override { return "resolver"; }
  std::string where() const override {
    return config_.path + " (" + std::string(ResolverFormatName(config_.format)) + ")";
  }

  Status Start(CaptureSink* sink) override;
  void Stop() override;
  Status ReadLive(Snapshot* out) override;
  Status Apply(const Delta& changes, ApplyResult* result) override;

 private:
  void Run();
  // Reads everything, re-arms the watches, and delivers when `cause` asks for it.
  void Capture(Cause cause);

  const ResolverConfig config_;
  CaptureSink* sink_ = nullptr;
  FileWatcher watcher_;
  int stop_fd_ = -1;
  std::thread thread_;
  Snapshot last_;        // last delivered; source thread only (and Start before it runs)
  std::mutex apply_mu_;  // one Apply at a time
};

Status ResolverSource::Start(CaptureSink* sink) {
  if (thread_.joinable()) return Status::Internal("resolver source started twice");
  sink_ = sink;
  NETSNAP_RETURN_IF_ERROR(watcher_.Init());
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return Status::IOError(std::string("eventfd: ") + std::strerror(errno));
  ResolverPass pass;
  NETSNAP_RETURN_IF_ERROR(ReadResolverFiles(config_.format, config_.path, config_.limits, &pass));
  watcher_.Watch(pass.files, pass.folders);
  last_ = pass.snapshot;
  sink_->OnSnapshot(pass.snapshot, Cause::kStartup, Actor{}, NowNs());
  thread_ = std::thread([this] { Run(); });
  return Status::OK();
}

void ResolverSource::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    ssize_t n = write(stop_fd_, &one, sizeof one);
    (void)n;
    thread_.join();
  }
  if (stop_fd_ >= 0) {
    close(stop_fd_);
    stop_fd_ = -1;
  }
}

void ResolverSource::Capture(Cause cause) {
  ResolverPass pass;
  Status st = ReadResolverFiles(config_.format, config_.path, config_.limits, &pass);
  if (!st.ok()) {
    sink_->OnError(st.WithContext(name()));
    return;
  }
  watcher_.Watch(pass.files, pass.folders);
  bool same = pass.snapshot.hash() == last_.hash() && pass.snapshot.size() == last_.size();
  if (cause == Cause::kEvent && same) {
    sink_->Count("resolver_unchanged_rereads");
    return;
  }
  last_ = pass.snapshot;
  sink_->OnSnapshot(std::move(pass.snapshot), cause, Actor{}, NowNs());
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
    struct pollfd fds[2] = {{watcher_.fd(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int n = poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) {
      sink_->OnError(Status::IOError(std::string("poll: ") + std::strerror(errno)));
      usleep(100'000);
    }
    if (fds[1].revents) return;
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
      Capture(Cause::kEvent);
      now = MonoMs();
    }
    if (now >= next_periodic) {
      Capture(Cause::kPeriodic);
      next_periodic = MonoMs() + config_.reread_ms;
    }
  }
}

Status ResolverSource::ReadLive(Snapshot* out) {
  ResolverPass pass;
  NETSNAP_RETURN_IF_ERROR(ReadResolverFiles(config_.format, config_.path, config_.limits, &pass));
  *out = std::move(pass.snapshot);
  return Status::OK();
}

Status ResolverSource::Apply(const Delta& changes, ApplyResult* result) {
  if (config_.read_only) {
    return Status::Refused("source '" + name() + "' is read-only");
  }
  std::lock_guard<std::mutex> lock(apply_mu_);
  bool wrote = false;
  for (const Change& c : changes) {
    if (KindOfKey(c.key) != RecordKind::kFile) continue;  // derived from the files
    std::string path = c.key.substr(1);
    Status st;
    if (c.value) {
      ConfigFile file;
      st = ConfigFile::FromRecord(RecordRef{c.key, *c.value}, &file);
      if (st.ok()) st = WriteConfigFile(file);
    } else {
      st = RemoveConfigFile(path);
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
  b.Finish(&out);  // input is sorted and unique, so this cannot fail
  return out;
}

}  // namespace netsnap
