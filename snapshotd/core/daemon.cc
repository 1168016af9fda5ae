#include "core/daemon.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/source_counters.h"
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

Daemon::Daemon(DaemonConfig config) : config_(std::move(config)) {
  DescribeSourceCounters(&metrics_);
  metrics_.Describe("netsnap_capture_seconds", "histogram", "Time to read a source's live state.");
  metrics_.Describe("netsnap_commit_seconds", "histogram", "Time to store a capture.");
  metrics_.Describe("netsnap_capture_lag_seconds", "gauge",
                    "Delay between a capture's time and its commit.");
}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  // An empty data_dir would put the store in /store.
  if (config_.data_dir.empty()) return Status::InvalidArgument("no data directory configured");
  // The history shows every route and resolver rule this host had: for the daemon's user only.
  if (mkdir(config_.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError("cannot create " + config_.data_dir + ": " + std::strerror(errno));
  }
  if (chmod(config_.data_dir.c_str(), 0700) != 0) {
    return Status::IOError("cannot chmod 0700 " + config_.data_dir + ": " + std::strerror(errno));
  }
  StoreOptions so;
  so.path = config_.data_dir + "/store";
  NETSNAP_RETURN_IF_ERROR(Store::Open(so, &store_));
  events_ = std::make_unique<EventBus>(store_.get());
  for (const SourceSpec& spec : config_.sources) {
    std::unique_ptr<Source> src;
    NETSNAP_RETURN_IF_ERROR(NewSource(spec, &src));
    recorders_.push_back(
        std::make_unique<Recorder>(std::move(src), store_.get(), &metrics_, events_.get()));
  }
  for (auto& r : recorders_) StartRecorder(r.get());
  StartRetention();
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
    built.push_back(
        std::make_unique<Recorder>(std::move(src), store_.get(), &metrics_, events_.get()));
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

void Daemon::StartRetention() {
  retention_ = std::make_unique<RetentionRunner>(store_.get(), config_.retention,
                                                 config_.max_disk_bytes, &metrics_, Clock::Real());
  if (idempotency_pruner_) retention_->SetIdempotencyPruner(idempotency_pruner_);
  retention_->Start();
}

void Daemon::SetRetention(const RetentionSettings& settings, uint64_t max_disk_bytes) {
  if (retention_) retention_->Stop();
  config_.retention = settings;
  config_.max_disk_bytes = max_disk_bytes;
  StartRetention();
}

void Daemon::SetIdempotencyPruner(RetentionRunner::Pruner pruner) {
  idempotency_pruner_ = std::move(pruner);
  if (retention_) retention_->SetIdempotencyPruner(idempotency_pruner_);
}

Status Daemon::AddSource(std::unique_ptr<Source> source) {
  if (!store_) return Status::Unavailable("the daemon has not started");
  if (FindSource(source->name())) {
    return Status::InvalidArgument("a source named '" + source->name() + "' exists");
  }
  auto rec = std::make_unique<Recorder>(std::move(source), store_.get(), &metrics_, events_.get());
  NETSNAP_RETURN_IF_ERROR(rec->Start());
  recorders_.push_back(std::move(rec));
  return Status::OK();
}

void Daemon::Stop() {
  if (retention_) retention_->Stop();
  for (auto& r : recorders_) r->Stop();
}

Recorder* Daemon::FindSource(const std::string& name) const {
  for (const auto& r : recorders_) {
    if (r->name() == name) return r.get();
  }
  return nullptr;
}

}  // namespace netsnap
