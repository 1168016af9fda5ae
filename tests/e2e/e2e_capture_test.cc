// Capture settings of a kernel source, seen through the API: max_delay_ms bounds how long a
// burst that never goes quiet is held.
#include <gtest/gtest.h>

#include <thread>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

TEST(E2eCapture, MaxDelayStoresABurstThatNeverGoesQuiet) {
  NetNs ns;
  Snapshotd d;
  // A change every 50 ms never leaves the 300 ms debounce quiet: only max_delay_ms stores it.
  d.Configure(KernelSource("k", ns.path(), "debounce_ms = 300\nmax_delay_ms = 600\nresync_s = 0"));
  ASSERT_TRUE(d.Start());
  json::value first = d.WaitForVersion("k", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());
  const int64_t base = first.at("records").to_number<int64_t>();
  constexpr int kChanges = 60;  // 3 s of changes, five times max_delay_ms
  int stored_at = -1;
  for (int i = 0; i < kChanges && stored_at < 0; ++i) {
    ASSERT_EQ(ns.Ip("route add 10.5." + std::to_string(i) + ".0/24 via 10.99.0.5 dev a0"), 0);
    json::value latest = d.Latest("k");
    if (latest.at("records").to_number<int64_t>() > base) stored_at = i;
    // Paces the writer (the burst), not a wait for the daemon.
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_GE(stored_at, 0) << "nothing stored while the burst went on";
  EXPECT_LT(stored_at, kChanges - 1);
}

}  // namespace
}  // namespace netsnap::e2e
