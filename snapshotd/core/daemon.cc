#include "core/daemon.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "netsnap/time.h"
#include "sources/registry.h"

namespace netsnap {

namespace {

void StartRecorder(Recorder* r) {
  Status s = r->Start();
  if (!s.ok()) {
    spdlog::error("source {} did not start: {}", r->name(), s.ToString());
  } else {
    spdlog::info("source {} ({} {}) started", r->name(), r->source()->kind(), r->source()->where());
  }
}

}  // namespace

Daemon::Daemon(DaemonConfig config)
    : config_(std::move(config)),
      retention_(config_.retention),
      retention_interval_ns_(config_.retention_interval_ns) {
  metrics_.Describe("netsnap_versions_total", "counter", "Versions stored since start.");
  metrics_.Describe("netsnap_records", "gauge", "Records in the latest version.");
  metrics_.Describe("netsnap_latest_version", "gauge", "Number of the latest version.");
  metrics_.Describe("netsnap_capture_seconds", "histogram", "Time to read a source's live state.");
  metrics_.Describe("netsnap_commit_seconds", "histogram", "Time to store a capture.");
  metrics_.Describe("netsnap_capture_lag_seconds", "gauge",
                    "Delay between a capture's time and its commit.");
  metrics_.Describe("netsnap_capture_errors_total", "counter", "Failed captures.");
}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  // An empty data_dir would put the store in /store.
  if (config_.data_dir.empty()) return Status::InvalidArgument("no data directory configured");
  StoreOptions so;
  so.path = config_.data_dir + "/store";
  NETSNAP_RETURN_IF_ERROR(Store::Open(so, &store_));
  events_ = std::make_unique<EventBus>(store_.get());
  for (const SourceSpec& spec : config_.sources) {
    std::unique_ptr<Source> src;
    NETSNAP_RETURN_IF_ERROR(NewSource(spec, &src));
    recorders_.push_back(std::make_unique<Recorder>(std::move(src), store_.get(), &metrics_));
  }
  for (auto& r : recorders_) StartRecorder(r.get());
  retention_thread_ = std::thread([this] { RunRetention(); });
  return Status::OK();
}

Status Daemon::ApplySources(DaemonConfig next) {
  if (!store_) return Status::Unavailable("the daemon has not started");
  auto old_spec = [this](const std::string& name) -> const SourceSpec* {
    for (const SourceSpec& s : config_.sources) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  // Build everything new before touching what runs.
  std::vector<std::unique_ptr<Recorder>> kept, built;
  for (const SourceSpec& spec : next.sources) {
    const SourceSpec* old = old_spec(spec.name);
    if (old && FindSource(spec.name) && SameSource(*old, spec)) continue;
    std::unique_ptr<Source> src;
    NETSNAP_RETURN_IF_ERROR(NewSource(spec, &src));
    built.push_back(std::make_unique<Recorder>(std::move(src), store_.get(), &metrics_));
  }
  for (auto& r : recorders_) {
    bool keep = false;
    for (const SourceSpec& spec : next.sources) {
      const SourceSpec* old = old_spec(spec.name);
      keep |= spec.name == r->name() && old && SameSource(*old, spec);
    }
    if (keep) {
      kept.push_back(std::move(r));
    } else {
      r->Stop();
      spdlog::info("source {} stopped (configuration reloaded)", r->name());
    }
  }
  recorders_ = std::move(kept);
  for (auto& r : built) {
    StartRecorder(r.get());
    recorders_.push_back(std::move(r));
  }
  config_ = std::move(next);
  return Status::OK();
}

void Daemon::SetRetention(const RetentionPolicy& policy, int64_t interval_ns) {
  {
    std::lock_guard l(retention_mu_);
    retention_ = policy;
    retention_interval_ns_ = interval_ns;
  }
  retention_cv_.notify_all();
}

void Daemon::RunRetention() {
  std::unique_lock l(retention_mu_);
  for (;;) {
    int64_t interval = retention_interval_ns_;
    // A changed interval (reload) starts a new wait.
    bool woken = retention_cv_.wait_for(l, std::chrono::nanoseconds(interval), [&] {
      return stopping_ || retention_interval_ns_ != interval;
    });
    if (stopping_) return;
    if (woken) continue;
    RetentionPolicy policy = retention_;
    l.unlock();
    for (const std::string& source : store_->Sources()) {
      RetentionResult result;
      Status s = store_->ApplyRetention(source, policy, NowNs(), &result);
      if (!s.ok()) spdlog::error("retention of {}: {}", source, s.ToString());
    }
    l.lock();
  }
}

Status Daemon::AddSource(std::unique_ptr<Source> source) {
  if (!store_) return Status::Unavailable("the daemon has not started");
  if (FindSource(source->name())) {
    return Status::InvalidArgument("a source named '" + source->name() + "' exists");
  }
  auto rec = std::make_unique<Recorder>(std::move(source), store_.get(), &metrics_);
  NETSNAP_RETURN_IF_ERROR(rec->Start());
  recorders_.push_back(std::move(rec));
  return Status::OK();
}

void Daemon::Stop() {
  {
    std::lock_guard l(retention_mu_);
    stopping_ = true;
  }
  retention_cv_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
  for (auto& r : recorders_) r->Stop();
}

Recorder* Daemon::FindSource(const std::string& name) const {
  for (const auto& r : recorders_) {
    if (r->name() == name) return r.get();
  }
  return nullptr;
}

}  // namespace netsnap
