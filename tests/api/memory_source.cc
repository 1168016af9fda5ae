#include "memory_source.h"

#include <stdexcept>

#include "netsnap/time.h"

namespace netsnap::testing {

Status MemorySource::Start(CaptureSink* sink) {
  Snapshot s;
  NETSNAP_RETURN_IF_ERROR(ReadLive(&s));
  sink->OnSnapshot(s, Cause::kStartup, Actor{}, NowNs());
  return Status::OK();
}

Status MemorySource::ReadLive(Snapshot* out) {
  std::lock_guard<std::mutex> lock(mu_);
  *out = live_;
  return Status::OK();
}

Status MemorySource::Apply(const Delta& changes, ApplyResult* result) {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot next;
  NETSNAP_RETURN_IF_ERROR(ApplyDelta(live_, changes, &next));
  live_ = next;
  result->applied = changes.size();
  return Status::OK();
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
