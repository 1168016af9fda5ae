// Version times never go back within a source: after a wall-clock step back (on an injected
// clock) a version gets the previous time + 1 ns, one clock_step event is stored, and
// at-or-before look-ups ("at/-15m") keep selecting the version that was live.
#include <gtest/gtest.h>

#include "api/memory_source.h"
#include "core/recorder.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::MemorySource;
using testing::TempDir;
using testing::TestRoutes;

constexpr int64_t kMin = 60LL * 1000000000;

int ClockSteps(Store* store) {
  std::vector<StoredEvent> events;
  EXPECT_TRUE(store->ListEvents(0, 0, 100, &events).ok());
  int n = 0;
  for (const StoredEvent& e : events) n += e.type == "clock_step";
  return n;
}

TEST(RecorderClock, AStepBackKeepsVersionTimesIncreasingAndIsReportedOnce) {
  TempDir dir;
  std::unique_ptr<Store> store;
  StoreOptions o;
  o.path = dir.Sub("db");
  ASSERT_TRUE(Store::Open(o, &store).ok());
  Metrics metrics;
  EventBus events(store.get());
  const int64_t t0 = 1800000000LL * 1000000000;
  TestClock clock(t0);
  auto owned = std::make_unique<MemorySource>("k");
  MemorySource* src = owned.get();
  Recorder rec(std::move(owned), store.get(), &metrics, &events, &clock);

  auto capture = [&](size_t routes) {
    src->SetRoutes(TestRoutes(routes, "10.0.0.1"));
    VersionHeader v;
    EXPECT_TRUE(rec.CaptureNow(Cause::kManual, Actor{}, "", &v).ok());
    return v;
  };
  VersionHeader v1 = capture(1);
  clock.Advance(10 * kMin);
  VersionHeader v2 = capture(2);
  clock.Advance(10 * kMin);
  VersionHeader v3 = capture(3);
  ASSERT_EQ(v3.version, 3u);

  clock.StepWall(-60 * kMin);  // NTP or an operator steps the clock back an hour
  clock.Advance(kMin);
  VersionHeader v4 = capture(4);
  EXPECT_EQ(v4.time_ns, v3.time_ns + 1);
  clock.Advance(kMin);
  VersionHeader v5 = capture(5);  // still behind: same rule, no second event
  EXPECT_EQ(v5.time_ns, v4.time_ns + 1);
  EXPECT_EQ(ClockSteps(store.get()), 1);

  // Once the clock has passed the stored times, versions take it again.
  clock.Advance(120 * kMin);
  VersionHeader v6 = capture(6);
  EXPECT_EQ(v6.time_ns, clock.NowNs());
  EXPECT_LT(v5.time_ns, v6.time_ns);

  // at/-15m, 10 minutes after v6: the state before v6, which is v5 (not v3, whose stored time
  // an unclamped v4/v5 would have been before).
  clock.Advance(10 * kMin);
  VersionHeader at;
  ASSERT_TRUE(store->AtOrBefore("k", clock.NowNs() - 15 * kMin, &at).ok());
  EXPECT_EQ(at.version, v5.version);
  ASSERT_TRUE(store->AtOrBefore("k", v3.time_ns + 1, &at).ok());
  EXPECT_EQ(at.version, v4.version);
  ASSERT_TRUE(store->AtOrBefore("k", v2.time_ns, &at).ok());
  EXPECT_EQ(at.version, v2.version);
  (void)v1;

  // A second step is a second event.
  clock.StepWall(-60 * kMin);
  capture(7);
  EXPECT_EQ(ClockSteps(store.get()), 2);
}

}  // namespace
}  // namespace netsnap
