#include "core/retention_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/rollback_retention.h"

namespace netsnap {

namespace {

constexpr int64_t kHourNs = 3600LL * 1000000000;

// Keeps the first error and logs every one.
void Note(const Status& s, const char* what, Status* first) {
  if (s.ok()) return;
  spdlog::error("retention: {}: {}", what, s.ToString());
  if (first->ok()) *first = s;
}

}  // namespace

RetentionRunner::RetentionRunner(Store* store, const RetentionSettings& settings,
                                 uint64_t max_disk_bytes, Metrics* metrics, const Clock* clock)
    : store_(store),
      settings_(settings),
      max_disk_bytes_(max_disk_bytes),
      metrics_(metrics),
      clock_(clock) {
  metrics_->Describe("netsnap_retention_runs_total", "counter", "Retention passes run.");
  metrics_->Describe("netsnap_retention_removed_total", "counter",
                     "Records retention removed, by kind.");
  metrics_->Describe("netsnap_retention_last_run_timestamp_seconds", "gauge",
                     "Wall time the last retention pass ended.");
  metrics_->Describe("netsnap_disk_budget_bytes", "gauge",
                     "The store's disk budget ([daemon] max_disk_bytes; 0: none).");
  metrics_->Set("netsnap_disk_budget_bytes", {}, static_cast<double>(max_disk_bytes_));
  for (const char* kind : {"versions", "events", "rollbacks", "idempotency"}) {
    metrics_->Add("netsnap_retention_removed_total", {{"kind", kind}}, 0);
  }
  metrics_->Add("netsnap_retention_runs_total", {}, 0);
}

RetentionRunner::~RetentionRunner() { Stop(); }

void RetentionRunner::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void RetentionRunner::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void RetentionRunner::SetIdempotencyPruner(Pruner pruner) {
  MutexLock l(&mu_);
  idempotency_ = std::move(pruner);
}

void RetentionRunner::Loop() {
  int64_t next = clock_->MonotonicNs() + settings_.interval_ns;
  while (WaitDue(next)) {
    RetentionReport report;
    Status s = RunOnce(&report);  // errors are logged inside
    (void)s;                      // the next pass retries whatever failed
    next = clock_->MonotonicNs() + settings_.interval_ns;
  }
}

bool RetentionRunner::WaitDue(int64_t due_ns) {
  MutexLock l(&mu_);
  while (!stopping_) {
    int64_t wait = due_ns - clock_->MonotonicNs();
    if (wait <= 0) return true;
    // The condition variable waits on the steady clock; the wait is re-checked against
    // clock_ so that an injected clock decides when a pass is due.
    cv_.WaitUntil(&mu_, std::chrono::steady_clock::now() +
                            std::chrono::nanoseconds(std::min<int64_t>(wait, 1000000000)));
  }
  return false;
}

Status RetentionRunner::ThinVersions(const RetentionPolicy& policy, int64_t now_ns,
                                     uint64_t* removed) {
  Status first;
  for (const std::string& source : store_->Sources()) {
    RetentionResult r;
    Status s = store_->ApplyRetention(source, policy, now_ns, &r);
    Note(s.WithContext("source " + source), "versions", &first);
    *removed += r.removed;
  }
  return first;
}

Status RetentionRunner::KeepWithinBudget(int64_t now_ns, RetentionReport* report) {
  RetentionPolicy policy = settings_.versions;
  report->keep_all_ns = policy.keep_all_ns;
  report->disk_after = store_->DiskBytes();
  if (max_disk_bytes_ == 0) return Status::OK();
  // Over the budget, halve the keep-all window (down to one hour) and apply the tiers again:
  // the oldest versions of the keep-all tier fall to one an hour first.
  while (report->disk_after > max_disk_bytes_ && policy.keep_all_ns > kHourNs) {
    policy.keep_all_ns = std::max(kHourNs, policy.keep_all_ns / 2);
    report->keep_all_ns = policy.keep_all_ns;
    NETSNAP_RETURN_IF_ERROR(ThinVersions(policy, now_ns, &report->versions));
    NETSNAP_RETURN_IF_ERROR(store_->Compact());
    report->disk_after = store_->DiskBytes();
  }
  report->over_budget = report->disk_after > max_disk_bytes_;
  if (report->over_budget) {
    spdlog::error("retention: the store takes {} bytes, over max_disk_bytes {} after thinning",
                  report->disk_after, max_disk_bytes_);
  } else if (report->disk_after * 10 >= max_disk_bytes_ * 9) {
    spdlog::warn("retention: the store takes {} bytes, 90% or more of max_disk_bytes {}",
                 report->disk_after, max_disk_bytes_);
  }
  return Status::OK();
}

Status RetentionRunner::RunOnce(RetentionReport* out) {
  MutexLock run(&run_mu_);
  *out = RetentionReport{};
  const int64_t now = clock_->NowNs();
  out->disk_before = store_->DiskBytes();
  Status first;
  Note(ThinVersions(settings_.versions, now, &out->versions), "versions", &first);
  if (settings_.events_ns > 0 || settings_.max_events > 0) {
    int64_t before = settings_.events_ns > 0 ? now - settings_.events_ns : 0;
    Note(store_->PruneEvents(before, settings_.max_events, &out->events), "events", &first);
  }
  if (settings_.rollbacks_ns > 0) {
    Note(PruneRollbackJournal(store_, now - settings_.rollbacks_ns, &out->rollbacks), "rollbacks",
         &first);
  }
  Pruner idempotency;
  {
    MutexLock l(&mu_);
    idempotency = idempotency_;
  }
  if (idempotency)
    Note(idempotency(now - kIdempotencyNs, &out->idempotency), "idempotency", &first);
  Note(store_->Compact(), "compaction", &first);
  Note(KeepWithinBudget(now, out), "disk budget", &first);

  metrics_->Add("netsnap_retention_runs_total");
  metrics_->Add("netsnap_retention_removed_total", {{"kind", "versions"}},
                static_cast<double>(out->versions));
  metrics_->Add("netsnap_retention_removed_total", {{"kind", "events"}},
                static_cast<double>(out->events));
  metrics_->Add("netsnap_retention_removed_total", {{"kind", "rollbacks"}},
                static_cast<double>(out->rollbacks));
  metrics_->Add("netsnap_retention_removed_total", {{"kind", "idempotency"}},
                static_cast<double>(out->idempotency));
  metrics_->Set("netsnap_retention_last_run_timestamp_seconds", {},
                static_cast<double>(clock_->NowNs()) / 1e9);
  spdlog::info(
      "retention: removed {} versions, {} events, {} rollbacks, {} idempotency keys; "
      "{} -> {} bytes on disk",
      out->versions, out->events, out->rollbacks, out->idempotency, out->disk_before,
      out->disk_after);
  return first;
}

}  // namespace netsnap
