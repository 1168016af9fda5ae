#include "memory_source.h"

#include <stdexcept>

#include "netsnap/time.h"

namespace netsnap::testing {

Status MemorySource::Start(CaptureSink* sink) {
  Snapshot s;
  NETSNAP_RETURN_IF_ERROR(ReadLive(&s));
  sink->OnSnapshot(s, Cause::kStartup, Actor{}, NowNs(), Writer::kOther);
  return Status::OK();
}

Status MemorySource::ReadLive(Snapshot* out) {
  std::unique_lock<std::mutex> lock(mu_);
  ++blocked_reads_;
  unblocked_.wait(lock, [this] { return !block_reads_; });
  --blocked_reads_;
  *out = live_;
  return Status::OK();
}

void MemorySource::BlockReads() {
  std::lock_guard<std::mutex> lock(mu_);
  block_reads_ = true;
}

void MemorySource::UnblockReads() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    block_reads_ = false;
  }
  unblocked_.notify_all();
}

size_t MemorySource::blocked_reads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocked_reads_;
}

Status MemorySource::Apply(const Delta& changes, ApplyResult* result) {
  std::lock_guard<std::mutex> lock(mu_);
  Delta taken;  // a subsequence of a sorted delta stays sorted
  for (const Change& c : changes) {
    if (failing_keys_.count(c.key) || budget_ == 0) {
      result->failures.push_back({c.key, failure_message_});
      continue;
    }
    if (budget_ != std::numeric_limits<uint64_t>::max()) --budget_;
    taken.push_back(c);
  }
  Snapshot next;
  NETSNAP_RETURN_IF_ERROR(ApplyDelta(live_, taken, &next));
  live_ = next;
  result->applied = taken.size();
  applied_ += taken.size();
  return Status::OK();
}

void MemorySource::FailApplyOf(std::set<std::string> keys, std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  failing_keys_ = std::move(keys);
  failure_message_ = std::move(message);
}

void MemorySource::FailAfter(uint64_t changes, std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  budget_ = changes;
  failure_message_ = std::move(message);
}

void MemorySource::ClearFailures() {
  std::lock_guard<std::mutex> lock(mu_);
  failing_keys_.clear();
  budget_ = std::numeric_limits<uint64_t>::max();
}

uint64_t MemorySource::applied() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_;
}

void MemorySource::Set(const Snapshot& snap) {
  std::lock_guard<std::mutex> lock(mu_);
  live_ = snap;
}

void MemorySource::SetRoutes(const std::vector<Route>& routes) { Set(SnapshotOf(routes)); }

Route TestRoute(const std::string& dst, const std::string& gateway, uint32_t table) {
  Route r;
  r.table = table;
  if (!Prefix::Parse(dst, &r.dst).ok()) throw std::runtime_error("bad prefix " + dst);
  r.family = r.dst.family;
  if (!Address::Parse(gateway, &r.gateway).ok()) throw std::runtime_error("bad gw " + gateway);
  r.dev = "eth0";
  r.protocol = 4;  // static
  return r;
}

std::vector<Route> TestRoutes(size_t n, const std::string& gateway, uint32_t table) {
  std::vector<Route> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(
        TestRoute("10." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255) + ".0/24",
                  gateway, table));
  }
  return out;
}

Snapshot SnapshotOf(const std::vector<Route>& routes) {
  std::vector<Record> records;
  for (const Route& r : routes) records.push_back(r.ToRecord());
  Snapshot s;
  if (!Snapshot::FromRecords(std::move(records), &s).ok()) {
    throw std::runtime_error("duplicate routes");
  }
  return s;
}

}  // namespace netsnap::testing
