// How detection bounds a burst of damage in the real daemon (docs/detection.md, "Policies"):
// `settle_max_ms` ends a burst that never goes quiet for `settle_ms`.
#include <gtest/gtest.h>

#include <thread>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;
using netsnap::testing::Shell;

TEST(E2eSettle, ABurstThatNeverGoesQuietIsRestoredAfterSettleMax) {
  NetNs ns;
  Snapshotd d;
  // An untrusted writer: a copy of ip named "rogue" (/proc/PID/comm is the file's name).
  std::string rogue = d.dir().Sub("rogue");
  ASSERT_EQ(Shell("cp \"$(command -v ip)\" " + rogue), 0);
  // A burst ends 3 s after its last damage or 3 s after it began: a writer deleting a route
  // every 200 ms never leaves 3 s of quiet, so only settle_max_ms can end its burst.
  d.Configure(KernelSource("k", ns.path()) +
              "[[policy]]\nsource = \"k\"\naction = \"restore\"\n"
              "protected_prefixes = [\"10.0.0.0/8\"]\ntrusted_processes = [\"ip\"]\n"
              "settle_ms = 3000\nsettle_max_ms = 3000\ncooldown_s = 0\n"
              "max_restores_per_hour = 100\n");
  ASSERT_TRUE(d.Start());
  json::value first = d.WaitForVersion("k", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());
  const int64_t base = first.at("records").to_number<int64_t>();
  constexpr int kRoutes = 60;  // 12 s of deletions, four times settle_max_ms
  std::string batch;
  for (int i = 1; i <= kRoutes; ++i) {
    batch += "route add 10." + std::to_string(i) + ".0.0/16 via 10.99.0.5 dev a0\n";
  }
  WriteFile(d.dir().Sub("add.batch"), batch);
  ASSERT_EQ(ns.Ip("-batch " + d.dir().Sub("add.batch")), 0);
  ASSERT_TRUE(d.WaitForVersion("k", [&](const json::object& h) {
                 return h.at("records").to_number<int64_t>() == base + kRoutes;
               }).is_object());

  int restored_at = -1;
  for (int i = 1; i <= kRoutes && restored_at < 0; ++i) {
    ASSERT_EQ(Shell(rogue + " -n " + ns.name() + " route del 10." + std::to_string(i) +
                    ".0.0/16 >/dev/null 2>&1"),
              0);
    if (!d.Events("restore", "k").empty()) restored_at = i;
    // Paces the writer (the burst), not a wait for the daemon.
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_GT(restored_at, 0) << "no restore while the burst went on\n" << d.Log();
  EXPECT_LT(restored_at, kRoutes);
  json::value restore = d.WaitForEvent("restore", [](const json::object&) { return true; });
  EXPECT_EQ(restore.at("outcome"), "applied") << restore;
  // The restore put back routes of the burst so far (at least the first), none deleted after
  // it was seen.
  EXPECT_GE(restore.at("records").to_number<int64_t>(), 1);
  EXPECT_LE(restore.at("records").to_number<int64_t>(), restored_at);
}

}  // namespace
}  // namespace netsnap::e2e
