// A source over an in-memory record set, so that API tests drive versions without a kernel:
// Set() changes the "live" state; ReadLive and Apply work on it. Apply can be told to fail for
// chosen records, as a kernel refuses a route whose device vanished, so that a rollback's
// revert and its `failures` list are reachable over HTTP.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "netsnap/route.h"
#include "netsnap/source.h"

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

  // From now on, Apply leaves the records with these keys as they are and reports each as a
  // failure with `message`; the other changes of the same call are applied.
  void FailApplyOf(std::set<std::string> keys, std::string message);
  // From now on, Apply applies `changes` more changes (over all calls) and fails every later
  // one with `message`.
  void FailAfter(uint64_t changes, std::string message);
  // Apply succeeds again.
  void ClearFailures();
  // Changes applied so far by Apply.
  uint64_t applied() const;
  // From now on ReadLive waits until UnblockReads, as a source reading a huge table would: a
  // call that needs the live state then holds its thread.
  void BlockReads();
  void UnblockReads();
  // ReadLive calls waiting now.
  size_t blocked_reads() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable unblocked_;
  bool block_reads_ = false;  // GUARDED_BY(mu_)
  size_t blocked_reads_ = 0;  // GUARDED_BY(mu_)
  Snapshot live_;
  std::set<std::string> failing_keys_;
  uint64_t budget_ = std::numeric_limits<uint64_t>::max();  // changes Apply may still make
  std::string failure_message_;
  uint64_t applied_ = 0;
};

// A unicast IPv4 route in `table` to `dst` via `gateway` on eth0.
Route TestRoute(const std::string& dst, const std::string& gateway, uint32_t table = 254);
// `n` routes 10.x.y.0/24 via `gateway`.
std::vector<Route> TestRoutes(size_t n, const std::string& gateway, uint32_t table = 254);
Snapshot SnapshotOf(const std::vector<Route>& routes);

}  // namespace netsnap::testing
