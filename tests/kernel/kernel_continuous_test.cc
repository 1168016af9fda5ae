// Continuous capture: each change yields one delivery whose diff is exactly that change, with
// the actor's pid; bursts and overflows end equal to the namespace's real state.
#include <gtest/gtest.h>

#include <thread>

#include "kernel_test_util.h"
#include "netsnap/route.h"

namespace netsnap::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string RouteDst(const std::string& key) {
  Route r;
  std::string value = Route{}.ToRecord().value;
  if (!Route::FromRecord({key, value}, &r).ok()) return "?";
  return r.dst.ToString() + " table " + std::to_string(r.table);
}

class KernelContinuous : public KernelSourceTest {
 protected:
  void Start(const std::string& extra = "") {
    ASSERT_TRUE(
        MakeKernelSource("netns = \"" + ns_.name() + "\"\nresync_s = 0\n" + extra, &src_).ok());
    ASSERT_TRUE(src_->Start(&sink_).ok());
  }

  // Waits for the effective deliveries to grow past `before`, then for quiet; returns the new
  // ones.
  std::vector<Delivery> NextDeliveries(size_t before) {
    auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (sink_.effective().size() <= before && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    sink_.WaitQuiet(milliseconds(400), seconds(10));
    auto all = sink_.effective();
    return std::vector<Delivery>(all.begin() + static_cast<long>(std::min(before, all.size())),
                                 all.end());
  }

  // Waits until the folded state equals the live state (read once the namespace is quiet).
  void ExpectConverges(std::chrono::seconds limit) {
    Snapshot live;
    ASSERT_TRUE(src_->ReadLive(&live).ok());
    bool same = sink_.WaitFor([&](const Snapshot& s) { return s.hash() == live.hash(); },
                              std::chrono::duration_cast<milliseconds>(limit));
    EXPECT_TRUE(same) << "folded " << sink_.current().size() << " records, live " << live.size();
    EXPECT_EQ(CapturedRoutes(sink_.current()), IpRoutes(ns_));
  }
};

TEST_F(KernelContinuous, AddReplaceDeleteEachOneDeliveryWithActor) {
  Start();
  size_t n = sink_.effective().size();

  int pid = RunIp("route add 10.50.0.0/16 via 10.99.0.3");
  auto d = NextDeliveries(n);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].snapshot);
  EXPECT_EQ(d[0].cause, Cause::kEvent);
  EXPECT_EQ(d[0].actor.pid, pid);
  ASSERT_EQ(d[0].diff.added.size(), 1u);
  EXPECT_EQ(RouteDst(d[0].diff.added[0].key), "10.50.0.0/16 table 254");
  EXPECT_TRUE(d[0].diff.removed.empty());
  EXPECT_TRUE(d[0].diff.changed.empty());
  n = sink_.effective().size();

  pid = RunIp("route replace 10.50.0.0/16 via 10.99.0.4 proto static");
  d = NextDeliveries(n);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].actor.pid, pid);
  ASSERT_EQ(d[0].diff.changed.size(), 1u);
  EXPECT_TRUE(d[0].diff.added.empty());
  EXPECT_TRUE(d[0].diff.removed.empty());
  Route r;
  ASSERT_TRUE(
      Route::FromRecord({d[0].diff.changed[0].key, d[0].diff.changed[0].new_value}, &r).ok());
  EXPECT_EQ(r.gateway.ToString(), "10.99.0.4");
  n = sink_.effective().size();

  pid = RunIp("route del 10.50.0.0/16");
  d = NextDeliveries(n);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].actor.pid, pid);
  ASSERT_EQ(d[0].diff.removed.size(), 1u);
  EXPECT_EQ(RouteDst(d[0].diff.removed[0].key), "10.50.0.0/16 table 254");
  EXPECT_TRUE(d[0].diff.added.empty());
  n = sink_.effective().size();

  pid = RunIp("-6 route add 2001:db8:5::/48 via fd00:99::5");
  d = NextDeliveries(n);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].actor.pid, pid);
  ASSERT_EQ(d[0].diff.added.size(), 1u);
  n = sink_.effective().size();

  pid = RunIp("rule add from 10.77.0.0/16 lookup 77 pref 500");
  d = NextDeliveries(n);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].actor.pid, pid);
  ASSERT_EQ(d[0].diff.added.size(), 1u);
  EXPECT_EQ(KindOfKey(d[0].diff.added[0].key), RecordKind::kRule);
  n = sink_.effective().size();

  pid = RunIp("nexthop add id 42 via 10.99.0.3 dev a0");
  d = NextDeliveries(n);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].actor.pid, pid);
  ASSERT_EQ(d[0].diff.added.size(), 1u);
  EXPECT_EQ(KindOfKey(d[0].diff.added[0].key), RecordKind::kNexthop);
  ExpectConverges(seconds(5));
}

TEST_F(KernelContinuous, TableFlushIsOneDelivery) {
  ASSERT_EQ(IpBatchLines(ns_, {"route add 10.51.0.0/16 via 10.99.0.3 table 300",
                               "route add 10.52.0.0/16 via 10.99.0.3 table 300",
                               "route add blackhole 10.53.0.0/16 table 300",
                               "route add 10.54.0.0/16 via 10.99.0.3 table 301"}),
            0);
  Start();
  size_t n = sink_.effective().size();
  int pid = RunIp("route flush table 300");
  auto d = NextDeliveries(n);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].actor.pid, pid);
  EXPECT_EQ(d[0].diff.removed.size(), 3u);
  EXPECT_TRUE(d[0].diff.added.empty());
  EXPECT_TRUE(d[0].diff.changed.empty());
  ExpectConverges(seconds(5));
}

TEST_F(KernelContinuous, LinkDownRemovesItsRoutesInOneDelivery) {
  ASSERT_EQ(IpBatchLines(ns_, {"route add 10.60.0.0/16 via 10.99.0.3 dev a0",
                               "route add 10.61.0.0/16 via 10.99.0.3 dev a0 table 100",
                               "route add 10.62.0.0/16 via 10.99.0.3 dev b0"}),
            0);
  Start();
  size_t n = sink_.effective().size();
  RunIp("link set a0 down");
  auto d = NextDeliveries(n);
  ASSERT_EQ(d.size(), 1u);
  std::set<std::string> removed;
  for (const auto& rec : d[0].diff.removed) removed.insert(RouteDst(rec.key));
  EXPECT_EQ(removed, (std::set<std::string>{"10.60.0.0/16 table 254", "10.61.0.0/16 table 100"}));
  EXPECT_TRUE(d[0].diff.added.empty());
  ExpectConverges(seconds(5));
}

// The kernel removes an IPv6 multipath route one next hop at a time and names only the next hop
// removed; the capture folds each removal without a re-dump and stays equal to the kernel.
TEST_F(KernelContinuous, Ipv6MultipathLosesNexthopsWithoutRedump) {
  const std::string mp =
      "-6 route add 2001:db9::/32 nexthop via fd00:99::5 dev a0 weight 1 nexthop via fd00:99::6 "
      "dev a0 weight 2 nexthop via 2001:db8:ffff::1 dev a0 weight 3 onlink";
  ASSERT_EQ(IpBatchLines(ns_, {mp}), 0);
  Start();
  auto one_change = [&](const std::string& cmd, size_t changed, size_t removed) {
    size_t n = sink_.effective().size();
    int pid = RunIp(cmd);
    auto d = NextDeliveries(n);
    ASSERT_EQ(d.size(), 1u) << cmd;
    EXPECT_FALSE(d[0].snapshot) << cmd << ": re-dumped";
    EXPECT_EQ(d[0].actor.pid, pid) << cmd;
    EXPECT_EQ(d[0].diff.changed.size(), changed) << cmd;
    EXPECT_EQ(d[0].diff.removed.size(), removed) << cmd;
    EXPECT_TRUE(d[0].diff.added.empty()) << cmd;
    ExpectConverges(seconds(5));
  };
  // Three next hops to two, then to a single-path route that carries the onlink flag.
  one_change("-6 route del 2001:db9::/32 nexthop via fd00:99::6 dev a0", 1, 0);
  one_change("-6 route del 2001:db9::/32 nexthop via fd00:99::5 dev a0", 1, 0);
  one_change("-6 route del 2001:db9::/32", 0, 1);
  // Deleted whole with its next hops listed: three notifications, one removal.
  ASSERT_EQ(IpBatchLines(ns_, {mp}), 0);
  NextDeliveries(sink_.effective().size());
  one_change(
      "-6 route del 2001:db9::/32 nexthop via fd00:99::5 dev a0 nexthop via fd00:99::6 dev a0 "
      "nexthop via 2001:db8:ffff::1 dev a0 onlink",
      0, 1);
}

std::vector<std::string> BurstLines(int adds) {
  std::vector<std::string> lines;
  auto dst = [](int i) {
    return "10." + std::to_string(100 + i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
           std::to_string(i % 256) + "/32";
  };
  for (int i = 0; i < adds; ++i) lines.push_back("route add " + dst(i) + " via 10.99.0.3");
  for (int i = 0; i < adds / 4; ++i) {
    lines.push_back("route replace " + dst(i) + " via 10.99.0.4");
  }
  for (int i = adds / 2; i < adds / 2 + adds / 4; ++i) lines.push_back("route del " + dst(i));
  return lines;
}

// A burst is read in rounds at least a millisecond apart: the capture waits in poll, and is
// woken by the kernel, at most once a millisecond however the writer is paced (no sync request
// is made here), instead of once for each change.
TEST_F(KernelContinuous, BurstIsReadInRoundsNotWokenPerChange) {
  Start();
  std::vector<std::string> lines;
  for (int i = 0; i < 30'000; ++i) {
    lines.push_back("route add 10.70." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
                    "/32 via 10.99.0.3");
  }
  const auto start = std::chrono::steady_clock::now();
  const uint64_t before = sink_.counter("notification_wakeups");
  ASSERT_EQ(IpBatchLines(ns_, lines), 0);
  ExpectConverges(seconds(60));
  const uint64_t wakeups = sink_.counter("notification_wakeups") - before;
  const auto elapsed_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(wakeups, 0u);
  EXPECT_LE(wakeups, static_cast<uint64_t>(elapsed_ms) + 2)
      << wakeups << " wake-ups in " << elapsed_ms << " ms for " << lines.size() << " changes";
  EXPECT_LT(wakeups * 4, lines.size()) << wakeups << " wake-ups in " << elapsed_ms << " ms";
}

TEST_F(KernelContinuous, BurstOf100kChangesEndsEqual) {
  Start();
  auto lines = BurstLines(66'668);  // 66,668 adds + 2 x 16,667 = 100,002 changes
  ASSERT_GE(lines.size(), 100'000u);
  ASSERT_EQ(IpBatchLines(ns_, lines), 0);
  ExpectConverges(seconds(120));
}

TEST_F(KernelContinuous, OverflowIsCountedAndEndsEqual) {
  Start("rcvbuf = 4096\ndebounce_ms = 20");
  ASSERT_EQ(IpBatchLines(ns_, BurstLines(40'000)), 0);
  ExpectConverges(seconds(120));
  EXPECT_GT(sink_.counter("netlink_overflows"), 0u);
}

}  // namespace
}  // namespace netsnap::testing
