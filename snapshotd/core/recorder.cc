#include "core/recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "core/source_counters.h"

namespace netsnap {

namespace {

// A capture time this far behind the latest version is reported as a clock step; smaller
// shortfalls come from a burst's first notification being older than the last full read
// (debounce up to max_delay_ms) and are only corrected.
constexpr int64_t kReportStepNs = 5LL * 1000000000;
// How often a degraded source retries a full re-read.
constexpr auto kResyncEvery = std::chrono::seconds(1);
constexpr const char* kRetrying = " (re-reading once a second until it is stored)";

}  // namespace

Recorder::Recorder(std::unique_ptr<Source> source, Store* store, Metrics* metrics, EventBus* events,
                   const Clock* clock)
    : source_(std::move(source)),
      store_(store),
      metrics_(metrics),
      events_(events),
      clock_(clock),
      stall_file_(std::getenv("NETSNAP_TEST_STALL_FILE")) {
  if (metrics_) SeedSourceCounters(metrics_, name(), source_->kind());
}

Recorder::~Recorder() { Stop(); }

SourceState Recorder::state() const {
  MutexLock l(&mu_);
  SourceState s = state_;
  s.latest = delivered_;
  return s;
}

Snapshot Recorder::current() const {
  MutexLock l(&mu_);
  return current_;
}

void Recorder::AddListener(Listener fn) {
  MutexLock l(&deliver_mu_);
  listeners_.push_back(std::move(fn));
}

Status Recorder::Start() {
  {
    MutexLock l(&mu_);
    VersionHeader latest;
    if (store_->Latest(name(), &latest).ok()) {
      Status s = store_->Reconstruct(name(), latest.version, &current_);
      if (!s.ok()) {
        // History is still there; the next capture is compared with an empty state.
        spdlog::error("source {}: cannot read latest version {}: {}", name(), latest.version,
                      s.ToString());
      }
      state_.latest = latest;
      delivered_ = latest;
    }
  }
  Status s = source_->Start(this);
  MutexLock l(&mu_);
  if (!s.ok()) {
    state_.state = "error";
    state_.error = s.ToString();
  } else if (state_.state == "starting") {
    state_.state = "running";
  }
  stopping_ = false;
  if (!resync_thread_.joinable()) resync_thread_ = std::thread([this] { ResyncLoop(); });
  return s;
}

namespace {

bool StallRequested(const char* file, const std::string& source) {
  std::ifstream in(file);
  std::string name;
  return in && std::getline(in, name) && name == source;
}

}  // namespace

void Recorder::Alive() {
  while (stall_file_ && StallRequested(stall_file_, name())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  last_alive_ns_.store(
      std::chrono::steady_clock::now().time_since_epoch() / std::chrono::nanoseconds(1),
      std::memory_order_relaxed);
}

void Recorder::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  resync_cv_.SignalAll();
  if (resync_thread_.joinable()) resync_thread_.join();
  source_->Stop();
  MutexLock l(&mu_);
  state_.state = "stopped";
}

void Recorder::ResyncLoop() {
  MutexLock l(&mu_);
  while (!stopping_) {
    resync_cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return stopping_ || degraded_; });
    if (stopping_) return;
    if (resync_cv_.WaitFor(&mu_, kResyncEvery, [&]() REQUIRES(mu_) { return stopping_; })) return;
    if (!degraded_) continue;
    mu_.Unlock();
    // A full re-read of a large table costs about a second of CPU (100k routes): wait until
    // the store takes writes again (it tries to recover itself here) before reading.
    Status s = store_->CheckWritable();
    if (s.ok()) {
      VersionHeader out;
      s = CaptureNow(Cause::kPeriodic, Actor{}, "re-read after a failed commit", &out);
      if (s.ok()) spdlog::info("source {}: recovered, version {} stored", name(), out.version);
      mu_.Lock();
    } else {
      mu_.Lock();
      // Health shows the latest reason, e.g. that recovery failed as the disk is still full.
      state_.error = "store: " + s.ToString() + kRetrying;
    }
  }
}

void Recorder::KeepTimeMonotonic(CommitInfo* info) {
  if (state_.latest.version == 0) return;
  const int64_t floor = state_.latest.last_seen_ns;
  if (info->time_ns > floor) {
    clock_behind_ = false;
    return;
  }
  if (!clock_behind_ && floor - info->time_ns > kReportStepNs) {
    clock_behind_ = true;
    spdlog::warn(
        "source {}: the wall clock is {:.3f} s behind the latest version; versions get "
        "its time until the clock passes it",
        name(), static_cast<double>(floor - info->time_ns) / 1e9);
    if (events_) {
      events_->Publish(
          "clock_step", name(),
          {{"behind_ns", floor - info->time_ns}, {"latest_version", state_.latest.version}});
    }
  }
  info->time_ns = floor + 1;
}

void Recorder::Attribute(std::optional<CommitInfo> info) {
  MutexLock l(&mu_);
  attribution_ = std::move(info);
}

Status Recorder::CommitLocked(Snapshot next, const Delta* delta, const CommitInfo& given,
                              Writer writer, VersionHeader* out) {
  CommitInfo info = given;
  if (attribution_ && writer == Writer::kDaemon) {
    info.cause = attribution_->cause;
    info.actor = attribution_->actor;
    info.note = attribution_->note;
  }
  KeepTimeMonotonic(&info);
  auto t0 = std::chrono::steady_clock::now();
  VersionHeader previous = state_.latest;
  Status s = store_->Commit(name(), next, delta, info, out);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics_->Observe("netsnap_commit_seconds", {{"source", name()}}, secs);
  if (!s.ok()) {
    if (!degraded_) spdlog::error("source {}: cannot store capture: {}", name(), s.ToString());
    degraded_ = true;
    state_.state = "degraded";
    state_.error = "store: " + s.ToString() + kRetrying;
    metrics_->Add("netsnap_commit_failures_total", {{"source", name()}});
    resync_cv_.SignalAll();
    return s;
  }
  // Only a full read (delta == nullptr) brings back what failed commits dropped.
  if (delta == nullptr) degraded_ = false;
  state_.state = degraded_ ? "degraded" : "running";
  if (!degraded_) state_.error.clear();
  state_.last_capture_ns = info.time_ns;
  state_.latest = *out;
  metrics_->Set("netsnap_capture_lag_seconds", {{"source", name()}},
                static_cast<double>(clock_->NowNs() - info.time_ns) / 1e9);
  if (out->version == previous.version) {  // unchanged content
    if (committed_.empty()) delivered_ = *out;
    return Status::OK();
  }
  metrics_->Add("netsnap_versions_total", {{"source", name()}});
  Snapshot before = std::move(current_);
  current_ = next;
  committed_.push_back({name(), previous, *out, std::move(before), std::move(next)});
  return Status::OK();
}

void Recorder::DeliverCommitted() {
  MutexLock d(&deliver_mu_);
  for (;;) {
    VersionCommitted ev;
    {
      MutexLock l(&mu_);
      if (committed_.empty()) return;
      ev = std::move(committed_.front());
      committed_.pop_front();
    }
    for (const Listener& fn : listeners_) fn(ev);
    MutexLock l(&mu_);
    delivered_ = committed_.empty() ? state_.latest : ev.current;
  }
}

void Recorder::OnSnapshot(Snapshot snapshot, Cause cause, const Actor& actor, int64_t time_ns,
                          Writer writer) {
  {
    MutexLock l(&mu_);
    VersionHeader out;
    // A failure is logged and shown in the source's health by CommitLocked.
    (void)CommitLocked(std::move(snapshot), nullptr, {time_ns, cause, actor, ""}, writer, &out);
  }
  DeliverCommitted();
}

void Recorder::OnChanges(Delta changes, Cause cause, const Actor& actor, int64_t time_ns,
                         Writer writer) {
  {
    MutexLock l(&mu_);
    // current_ misses what failed to commit: a delta on it would be wrong until a full re-read.
    if (degraded_) return;
    NormalizeDelta(&changes);
    Snapshot next;
    Status s = ApplyDelta(current_, changes, &next);
    if (!s.ok()) {
      state_.error = "source delivered a bad delta: " + s.ToString();
      return;
    }
    VersionHeader out;
    // A failure is logged and shown in the source's health by CommitLocked.
    (void)CommitLocked(std::move(next), &changes, {time_ns, cause, actor, ""}, writer, &out);
  }
  DeliverCommitted();
}

void Recorder::OnError(const Status& error) {
  MutexLock l(&mu_);
  state_.state = "error";
  state_.error = error.ToString();
  metrics_->Add("netsnap_capture_errors_total", {{"source", name()}});
  spdlog::warn("source {}: {}", name(), error.ToString());
}

void Recorder::Count(std::string_view counter, uint64_t n) {
  metrics_->Add("netsnap_" + std::string(counter) + "_total", {{"source", name()}},
                static_cast<double>(n));
}

void Recorder::OnWarnings(std::vector<SourceWarning> warnings) {
  std::vector<SourceWarning> fresh;
  {
    MutexLock l(&mu_);
    for (const SourceWarning& w : warnings) {
      const auto& old = state_.warnings;
      if (std::find(old.begin(), old.end(), w) == old.end()) fresh.push_back(w);
    }
    state_.warnings = std::move(warnings);
  }
  for (const SourceWarning& w : fresh) {
    spdlog::warn("source {}: {}", name(), w.message);
    if (events_) events_->Publish(w.type, name(), {{"message", w.message}});
  }
}

Status Recorder::CaptureNow(Cause cause, const Actor& actor, const std::string& note,
                            VersionHeader* out, Snapshot* live) {
  Snapshot snap;
  auto t0 = std::chrono::steady_clock::now();
  NETSNAP_RETURN_IF_ERROR(source_->ReadLive(&snap));
  metrics_->Observe("netsnap_capture_seconds", {{"source", name()}},
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (live) *live = snap;
  Status s;
  {
    MutexLock l(&mu_);
    s = CommitLocked(std::move(snap), nullptr, {clock_->NowNs(), cause, actor, note},
                     Writer::kDaemon, out);
  }
  DeliverCommitted();
  return s;
}

}  // namespace netsnap
