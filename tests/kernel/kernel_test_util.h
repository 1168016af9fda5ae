// Shared helpers for the kernel source tests: a sink that folds deliveries into a snapshot, and
// the state of a namespace as `ip -j` reports it, normalised for comparison with captures.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netns.h"
#include "netsnap/record.h"
#include "netsnap/source.h"
#include "netsnap/version.h"

namespace netsnap::testing {

// One delivery as the sink saw it: what it changed in the folded snapshot.
struct Delivery {
  bool snapshot = false;  // OnSnapshot (else OnChanges)
  Cause cause = Cause::kStartup;
  Actor actor;
  Diff diff;            // against the state before the delivery
  int64_t time_ns = 0;  // the time the source gave
  Writer writer = Writer::kOther;
};

class FoldingSink : public CaptureSink {
 public:
  void OnSnapshot(Snapshot snapshot, Cause cause, const Actor& actor, int64_t time_ns,
                  Writer writer) override;
  void OnChanges(Delta changes, Cause cause, const Actor& actor, int64_t time_ns,
                 Writer writer) override;
  void OnError(const Status& error) override;
  void Count(std::string_view counter, uint64_t n) override;

  Snapshot current();
  std::vector<Delivery> deliveries();
  // Deliveries that changed something.
  std::vector<Delivery> effective();
  uint64_t counter(const std::string& name);
  std::vector<std::string> errors();
  // Waits (bounded) until pred(current()) holds; returns whether it did.
  bool WaitFor(const std::function<bool(const Snapshot&)>& pred, std::chrono::milliseconds limit);
  // Waits until no delivery came for `quiet`, at most `limit`.
  void WaitQuiet(std::chrono::milliseconds quiet, std::chrono::milliseconds limit);
  // Called with each delivery's time stamp (for latency measurements).
  std::function<void(int64_t time_ns)> on_delivery;

 private:
  void Record(Delivery d, const Snapshot& next);
  std::mutex mu_;
  std::condition_variable cv_;
  Snapshot current_;
  std::vector<Delivery> deliveries_;
  std::map<std::string, uint64_t> counters_;
  std::vector<std::string> errors_;
  std::chrono::steady_clock::time_point last_{};
};

// Builds a kernel source from TOML settings (the body of a [[source]] table).
Status MakeKernelSource(const std::string& toml_body, std::unique_ptr<Source>* out);

// Routes as `ip -j route show table all` (IPv4 and IPv6) prints them, after the default
// filter, one normalised line each.
std::set<std::string> IpRoutes(const NetNs& ns);
// The same lines for the route records of a snapshot.
std::set<std::string> CapturedRoutes(const Snapshot& snap);
// Rules as `ip -j rule show` prints them (both families), normalised; and for a snapshot.
std::set<std::string> IpRules(const NetNs& ns);
std::set<std::string> CapturedRules(const Snapshot& snap);
// Next-hop objects (id, gateway, dev, blackhole, group), from `ip -j nexthop show` and a snapshot.
std::set<std::string> IpNexthops(const NetNs& ns);
std::set<std::string> CapturedNexthops(const Snapshot& snap);

// Writes `lines` to a temporary file and runs `ip -n NS -batch` on it, then runs lines that
// start with an option ("-6 rule ...") one by one; returns the first non-zero exit status.
int IpBatchLines(const NetNs& ns, const std::vector<std::string>& lines);

// Lines of a set that the other lacks, for failure messages.
std::string SetDifference(const std::set<std::string>& a, const std::set<std::string>& b);

// A fixture with a namespace, a kernel source on it (made by the test) and a folding sink; the
// source stops at the end and the sink must have seen no error.
class KernelSourceTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (src_) src_->Stop();
    EXPECT_TRUE(sink_.errors().empty()) << sink_.errors().front();
  }

  // Runs `ip -n NS ARGS` and returns the pid of the ip process.
  int RunIp(const std::string& args) {
    int pid = ns_.IpPid(args);
    EXPECT_GT(pid, 0) << args;
    return pid;
  }

  NetNs ns_;
  std::unique_ptr<Source> src_;
  FoldingSink sink_;
};

}  // namespace netsnap::testing
