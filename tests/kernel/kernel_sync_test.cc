// Source::Sync() of the kernel source: a barrier that returns once every change made before it
// has been delivered. The debounce is set to a minute, longer than the kernel source lets a Sync
// wait (10 s) before it fails: a Sync that succeeds delivered what it found without waiting for
// the debounce, and a change in the sink when it returns was delivered by it, not by the timer.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "kernel_test_util.h"
#include "netsnap/route.h"
#include "netsnap/time.h"

namespace netsnap::testing {
namespace {

using std::chrono::milliseconds;

class KernelSync : public KernelSourceTest {
 protected:
  // Debounce a minute unless said otherwise.
  void Start(const std::string& extra = "", int debounce_ms = 60'000) {
    ASSERT_TRUE(MakeKernelSource("netns = \"" + ns_.name() + "\"\nresync_s = 0\ndebounce_ms = " +
                                     std::to_string(debounce_ms) + "\nmax_delay_ms = " +
                                     std::to_string(2 * debounce_ms) + "\n" + extra,
                                 &src_)
                    .ok());
    ASSERT_TRUE(src_->Start(&sink_).ok());
  }

  // Syncs, which must succeed (and so cannot have waited for the debounce).
  void SyncNow() {
    Status s = src_->Sync();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
};

TEST_F(KernelSync, OneRouteIsDeliveredBeforeSyncReturns) {
  Start();
  size_t before = sink_.effective().size();
  int pid = RunIp("route add 10.50.0.0/16 via 10.99.0.3");
  SyncNow();
  auto d = sink_.effective();
  ASSERT_EQ(d.size(), before + 1);
  EXPECT_FALSE(d.back().snapshot);
  EXPECT_EQ(d.back().cause, Cause::kEvent);
  EXPECT_EQ(d.back().actor.pid, pid) << "the actor is the ip process, as without Sync";
  ASSERT_EQ(d.back().diff.added.size(), 1u);
  EXPECT_EQ(CapturedRoutes(sink_.current()), IpRoutes(ns_));

  // Nothing pending: Sync returns at once and delivers nothing.
  SyncNow();
  EXPECT_EQ(sink_.effective().size(), before + 1);
}

TEST_F(KernelSync, ABatchOf1000AddsIsAllThere) {
  Start();
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    lines.push_back("route add 10.60." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
                    "/32 via 10.99.0.3");
  }
  ASSERT_EQ(IpBatchLines(ns_, lines), 0);
  SyncNow();
  EXPECT_EQ(CapturedRoutes(sink_.current()), IpRoutes(ns_));
  Snapshot live;
  ASSERT_TRUE(src_->ReadLive(&live).ok());
  EXPECT_TRUE(sink_.current().hash() == live.hash());
  size_t added = 0;
  for (const Delivery& d : sink_.effective()) {
    if (!d.snapshot) added += d.diff.added.size();
  }
  EXPECT_EQ(added, 1000u);
}

TEST_F(KernelSync, APendingRedumpIsDoneAtOnce) {
  // A link going down removes its routes without route notifications: the source re-dumps once
  // the burst settles (debounce_ms), and Sync must not wait for that.
  ASSERT_EQ(IpBatchLines(ns_, {"route add 10.61.0.0/16 via 10.99.0.3 dev a0",
                               "route add 10.62.0.0/16 via 10.99.0.3 dev b0"}),
            0);
  Start();
  RunIp("link set a0 down");
  SyncNow();
  EXPECT_EQ(CapturedRoutes(sink_.current()), IpRoutes(ns_));
  EXPECT_TRUE(sink_.deliveries().back().snapshot);
}

TEST_F(KernelSync, AnOverflowIsRedumpedBeforeSyncReturns) {
  // 20,000 routes from one batched Apply, while the capture thread is held in a delivery,
  // fill a 4 KiB notification buffer many times over. The delivery that holds it: a change by
  // `ip` pending when the first route of another process (this one) arrives. The routes go
  // through a second source that does not capture (the capturing one would mute itself).
  std::atomic<bool> stall{false};
  sink_.on_delivery = [&](int64_t) {
    if (stall.exchange(false)) std::this_thread::sleep_for(milliseconds(300));
  };
  Start("rcvbuf = 4096");
  RunIp("route add 10.65.0.0/16 via 10.99.0.3");
  stall = true;
  Delta adds;
  for (int i = 0; i < 20'000; ++i) {
    Route r;
    r.type = 6;  // blackhole
    r.protocol = 4;
    ASSERT_TRUE(Prefix::Parse("10." + std::to_string(66 + i / 65536) + "." +
                                  std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) +
                                  "/32",
                              &r.dst)
                    .ok());
    Record rec = r.ToRecord();
    adds.push_back({rec.key, rec.value});
  }
  std::unique_ptr<Source> other;
  ASSERT_TRUE(MakeKernelSource("netns = \"" + ns_.name() + "\"", &other).ok());
  ApplyResult result;
  ASSERT_TRUE(other->Apply(adds, &result).ok());
  ASSERT_EQ(result.applied, adds.size());
  SyncNow();
  EXPECT_FALSE(stall);
  EXPECT_GT(sink_.counter("netlink_overflows"), 0u);
  EXPECT_EQ(CapturedRoutes(sink_.current()), IpRoutes(ns_));
  src_->Stop();  // no delivery after this: `stall` may go
}

TEST_F(KernelSync, ALargeApplyOfItsOwnIsOneRedumpNotAFlood) {
  // The capturing source's own Apply of 20,000 routes has the kernel drop its notifications
  // (a filter on the apply socket's port id) while it runs: a 64 KiB buffer (room for a few
  // dozen notifications) does not overflow, and Sync delivers one re-dump with all of them,
  // marked as the daemon's, at once; a change another process makes afterwards is delivered on
  // its own, with its actor. A small Apply is followed by notification, marked as the daemon's
  // too.
  Start("rcvbuf = 65536");
  Delta adds;
  for (int i = 0; i < 20'000; ++i) {
    Route r;
    r.type = 6;  // blackhole
    r.protocol = 4;
    ASSERT_TRUE(
        Prefix::Parse("10.70." + std::to_string(i / 256) + "." + std::to_string(i % 256) + "/32",
                      &r.dst)
            .ok());
    Record rec = r.ToRecord();
    adds.push_back({rec.key, rec.value});
  }
  NormalizeDelta(&adds);
  size_t before = sink_.deliveries().size();
  ApplyResult result;
  ASSERT_TRUE(src_->Apply(adds, &result).ok());
  ASSERT_EQ(result.applied, adds.size());
  // The re-dump follows the apply at once (a change made during the dump is in it: wait).
  ASSERT_TRUE(sink_.WaitFor([&](const Snapshot& now) { return now.size() >= adds.size(); },
                            milliseconds(20'000)));
  int pid = RunIp("route add 10.71.0.0/16 via 10.99.0.3");
  SyncNow();
  EXPECT_EQ(sink_.counter("netlink_overflows"), 0u);
  std::vector<Delivery> d = sink_.deliveries();
  ASSERT_EQ(d.size(), before + 2);
  int own = 0, ip = 0;
  for (size_t i = before; i < d.size(); ++i) {
    if (d[i].writer == Writer::kDaemon) {
      ++own;
      EXPECT_TRUE(d[i].snapshot);
      EXPECT_GT(d[i].time_ns, 0);
      EXPECT_EQ(d[i].diff.added.size(), adds.size());
    } else {
      ++ip;
      EXPECT_FALSE(d[i].snapshot);
      EXPECT_EQ(d[i].actor.pid, pid);
      EXPECT_EQ(d[i].diff.added.size(), 1u);
    }
  }
  EXPECT_EQ(own, 1);
  EXPECT_EQ(ip, 1);
  EXPECT_EQ(CapturedRoutes(sink_.current()), IpRoutes(ns_));

  before = sink_.deliveries().size();
  Delta few(adds.begin(), adds.begin() + 10);
  for (Change& c : few) c.value.reset();
  ASSERT_TRUE(src_->Apply(few, &result).ok());
  SyncNow();
  ASSERT_EQ(sink_.deliveries().size(), before + 1);
  EXPECT_FALSE(sink_.deliveries().back().snapshot);
  EXPECT_EQ(sink_.deliveries().back().writer, Writer::kDaemon);
  EXPECT_EQ(sink_.deliveries().back().diff.removed.size(), 10u);
  EXPECT_EQ(CapturedRoutes(sink_.current()), IpRoutes(ns_));

  // Afterwards a re-dump is someone else's again.
  before = sink_.deliveries().size();
  RunIp("link set b0 mtu 1400");  // a link event: re-dumped
  RunIp("route add 10.72.0.0/16 via 10.99.0.3");
  SyncNow();
  ASSERT_GT(sink_.deliveries().size(), before);
  for (size_t i = before; i < sink_.deliveries().size(); ++i) {
    EXPECT_EQ(sink_.deliveries()[i].writer, Writer::kOther) << i;
  }
}

TEST_F(KernelSync, AFlushOfABigTableIsAllThere) {
  // `ip route flush` of many routes overflows the notification queue while it runs, the more
  // so as the sink is slow (a store commit per delivery: here 200 ms); the barrier still ends
  // equal to the live state. (Regression: a re-dump made while the overflowed queue still held
  // messages lost the changes made during the dump, without a second overflow report.)
  const int n =
      std::getenv("KERNEL_SYNC_ROUTES") ? std::atoi(std::getenv("KERNEL_SYNC_ROUTES")) : 100'000;
  Delta adds;
  for (int i = 0; i < n; ++i) {
    Route r;
    r.table = 100;
    r.protocol = 4;
    r.dev = "a0";
    ASSERT_TRUE(Address::Parse("10.99.0." + std::to_string(3 + i % 8), &r.gateway).ok());
    ASSERT_TRUE(Prefix::Parse(std::to_string(11 + i / 65536) + "." + std::to_string(i / 256 % 256) +
                                  "." + std::to_string(i % 256) + ".0/24",
                              &r.dst)
                    .ok());
    Record rec = r.ToRecord();
    adds.push_back({rec.key, rec.value});
  }
  Start("", /*debounce_ms=*/100);
  const size_t base = sink_.current().size();
  ApplyResult result;
  ASSERT_TRUE(src_->Apply(adds, &result).ok());
  ASSERT_EQ(result.applied, adds.size());
  ASSERT_TRUE(src_->Sync().ok());
  ASSERT_EQ(sink_.current().size(), base + adds.size());
  std::atomic<bool> slow{true};
  sink_.on_delivery = [&](int64_t) {
    if (slow) std::this_thread::sleep_for(milliseconds(200));
  };
  RunIp("route flush table 100");
  Status s = src_->Sync();
  slow = false;
  ASSERT_TRUE(s.ok()) << s.ToString();
  Snapshot live;
  ASSERT_TRUE(src_->ReadLive(&live).ok());
  EXPECT_EQ(sink_.current().size(), live.size())
      << "overflows: " << sink_.counter("netlink_overflows");
  EXPECT_TRUE(sink_.current().hash() == live.hash());
}

TEST_F(KernelSync, ConcurrentSyncsWhileChanging) {
  Start();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        RunIp("route add 10.64." + std::to_string(t) + "." + std::to_string(i) +
              "/32 via 10.99.0.3");
        if (!src_->Sync().ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(CapturedRoutes(sink_.current()), IpRoutes(ns_));
}

TEST_F(KernelSync, FromTheSinkItselfItRefusesInsteadOfDeadlocking) {
  // The sink's callbacks run on the capture thread, the startup snapshot's while Start waits.
  std::vector<Status> inner;
  sink_.on_delivery = [&](int64_t) { inner.push_back(src_->Sync()); };
  Start();
  RunIp("route add 10.65.0.0/16 via 10.99.0.3");
  SyncNow();
  src_->Stop();  // no delivery after this: `inner` may go
  ASSERT_EQ(inner.size(), 2u);
  for (const Status& s : inner) EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
}

// Callers waiting in Sync when the capture stops are woken and told it stopped (not left to
// their 10 s limit, which would say "did not catch up"); later callers are refused.
TEST_F(KernelSync, StopWakesWaitersAndLaterSyncsAreUnavailable) {
  // The capture thread is held inside a delivery of its own (after a 50 ms debounce), so the
  // Sync callers queue up behind it; the test sees all of them waiting before it stops.
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false, held = false;
  sink_.on_delivery = [&](int64_t) {
    std::unique_lock<std::mutex> l(mu);
    if (!hold) return;
    held = true;
    cv.notify_all();
    cv.wait(l, [&] { return !hold; });
  };
  Start("", 50);
  {
    std::unique_lock<std::mutex> l(mu);
    hold = true;
  }
  RunIp("route add 10.66.0.0/16 via 10.99.0.3");
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return held; }));
  }
  constexpr size_t kWaiters = 3;
  std::vector<Status> results(kWaiters);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kWaiters; ++t) {
    threads.emplace_back([&, t] { results[t] = src_->Sync(); });
  }
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (src_->SyncWaiters() < kWaiters && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_EQ(src_->SyncWaiters(), kWaiters);
  // Stop detaches the capture first (the source then counts no waiters, although the three
  // still wait: none can leave while the thread is held), then stops and joins the thread held
  // in the delivery: release it once Stop has begun.
  std::thread stopper([&] { src_->Stop(); });
  end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (src_->SyncWaiters() != 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  {
    std::unique_lock<std::mutex> l(mu);
    hold = false;
  }
  cv.notify_all();
  stopper.join();
  for (auto& th : threads) th.join();
  for (const Status& s : results) {
    EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
    EXPECT_NE(s.message().find("capture is stopped"), std::string::npos) << s.ToString();
  }
  EXPECT_EQ(src_->SyncWaiters(), 0u);
  Status after = src_->Sync();
  EXPECT_EQ(after.code(), Status::Code::kUnavailable);
  EXPECT_NE(after.message().find("is not capturing"), std::string::npos) << after.ToString();
}

}  // namespace
}  // namespace netsnap::testing
