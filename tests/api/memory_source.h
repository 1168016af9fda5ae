// A source over an in-memory record set, so that API tests drive versions without a kernel:
// Set() changes the "live" state; ReadLive and Apply work on it.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "netsnap/route.h"
#include "sources/source.h"

namespace netsnap::testing {

class MemorySource : public Source {
 public:
  explicit MemorySource(std::string name) : Source(std::move(name)) {}

  std::string_view kind() const override { return "memory"; }
  std::string where() const override { return "memory"; }
  Status Start(CaptureSink* sink) override;
  void Stop() override {}
  Status ReadLive(Snapshot* out) override;
  Status Apply(const Delta& changes, ApplyResult* result) override;

  // Replaces the live state.
  void Set(const Snapshot& snap);
  void SetRoutes(const std::vector<Route>& routes);

 private:
  std::mutex mu_;
  Snapshot live_;
};

// A unicast IPv4 route in `table` to `dst` via `gateway` on eth0.
Route TestRoute(const std::string& dst, const std::string& gateway, uint32_t table = 254);
// `n` routes 10.x.y.0/24 via `gateway`.
std::vector<Route> TestRoutes(size_t n, const std::string& gateway, uint32_t table = 254);
Snapshot SnapshotOf(const std::vector<Route>& routes);

}  // namespace netsnap::testing
