// How detection bounds a burst of damage in the real daemon (docs/detection.md, "What a restore
// does"): a burst that does not go quiet for `settle_ms` is not restored under its writer;
// `settle_max_ms` reports the wait (`restore_waiting`), and the restore comes once it stops.
#include <gtest/gtest.h>

#include <thread>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;
using netsnap::testing::Shell;

TEST(E2eSettle, ABurstThatDoesNotGoQuietIsToldAtSettleMaxAndRestoredOnceItStops) {
  NetNs ns;
  Snapshotd d;
  // An untrusted writer: a copy of ip named "rogue" (/proc/PID/comm is the file's name).
  std::string rogue = d.dir().Sub("rogue");
  ASSERT_EQ(Shell("cp \"$(command -v ip)\" " + rogue), 0);
  // A writer deleting a route every 200 ms never leaves 1 s of quiet: its burst grows past
  // settle_max_ms (1 s) and waits.
  d.Configure(KernelSource("k", ns.path()) +
              "[[policy]]\nsource = \"k\"\naction = \"restore\"\n"
              "protected_prefixes = [\"10.0.0.0/8\"]\ntrusted_processes = [\"ip\"]\n"
              "settle_ms = 1000\nsettle_max_ms = 1000\ncooldown_s = 0\n"
              "max_restores_per_hour = 100\n");
  ASSERT_TRUE(d.Start());
  json::value first = d.WaitForVersion("k", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());
  const int64_t base = first.at("records").to_number<int64_t>();
  constexpr int kRoutes = 20;  // 4 s of deletions, four times settle_max_ms
  std::string batch;
  for (int i = 1; i <= kRoutes; ++i) {
    batch += "route add 10." + std::to_string(i) + ".0.0/16 via 10.99.0.5 dev a0\n";
  }
  WriteFile(d.dir().Sub("add.batch"), batch);
  ASSERT_EQ(ns.Ip("-batch " + d.dir().Sub("add.batch")), 0);
  auto whole = [&](const json::object& h) {
    return h.at("records").to_number<int64_t>() == base + kRoutes;
  };
  ASSERT_TRUE(d.WaitForVersion("k", whole).is_object());

  int told_at = -1;
  for (int i = 1; i <= kRoutes; ++i) {
    ASSERT_EQ(Shell(rogue + " -n " + ns.name() + " route del 10." + std::to_string(i) +
                    ".0.0/16 >/dev/null 2>&1"),
              0);
    if (told_at < 0 && !d.Events("restore_waiting", "k").empty()) told_at = i;
    EXPECT_TRUE(d.Events("restore", "k").empty()) << "restored under the writer at step " << i;
    // Paces the writer (the burst), not a wait for the daemon.
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_GT(told_at, 0) << "no restore_waiting while the burst went on\n" << d.Log();
  json::value restore = d.WaitForEvent("restore", [](const json::object&) { return true; });
  ASSERT_TRUE(restore.is_object()) << d.Log();
  EXPECT_EQ(restore.at("outcome"), "applied") << restore;
  EXPECT_EQ(restore.at("records").to_number<int64_t>(), kRoutes) << restore;
  EXPECT_TRUE(d.WaitForVersion("k", whole).is_object());
  EXPECT_EQ(d.Events("restore", "k").size(), 1u);
  EXPECT_EQ(d.Events("restore_waiting", "k").size(), 1u);
  EXPECT_TRUE(d.Events("conflict", "k").empty());
}

}  // namespace
}  // namespace netsnap::e2e
