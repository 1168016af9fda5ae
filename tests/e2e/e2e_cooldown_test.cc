// `cooldown_s` of a detection policy in the real daemon (docs/detection.md, "Policies"): at
// least this long between the end of a restore and the start of the next. Damage right after a
// restore is still put back, but only once the cooldown has passed.
#include <gtest/gtest.h>
#include <time.h>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;
using netsnap::testing::Shell;

// Seconds since the epoch of an API time ("2026-12-01T01:19:31.941699Z"); -1 if unparsable.
double EpochSeconds(const json::value& v) {
  if (!v.is_string()) return -1;
  std::string s(v.as_string());
  tm t{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
  if (!rest) return -1;
  double frac = 0;
  if (*rest == '.') frac = std::stod("0" + std::string(rest));
  return static_cast<double>(timegm(&t)) + frac;
}

TEST(E2eCooldown, TheNextRestoreWaitsForTheCooldown) {
  NetNs ns;
  Snapshotd d;
  std::string rogue = d.dir().Sub("rogue");  // an untrusted writer: ip under another name
  ASSERT_EQ(Shell("cp \"$(command -v ip)\" " + rogue), 0);
  constexpr int kCooldown = 3;
  d.Configure(KernelSource("k", ns.path()) +
              "[[policy]]\nsource = \"k\"\naction = \"restore\"\n"
              "protected_prefixes = [\"10.0.0.0/8\"]\ntrusted_processes = [\"ip\"]\n"
              "settle_ms = 100\ncooldown_s = " +
              std::to_string(kCooldown) + "\n");
  ASSERT_TRUE(d.Start());
  for (int i = 1; i <= 2; ++i) {
    ASSERT_EQ(ns.Ip("route add 10." + std::to_string(i) + ".0.0/16 via 10.99.0.5 dev a0"), 0);
  }
  ASSERT_TRUE(d.WaitForVersion("k", [](const json::object& h) {
                 return h.at("records") == 7;
               }).is_object());
  auto rogue_del = [&](const std::string& dst) {
    return Shell(rogue + " -n " + ns.name() + " route del " + dst + " >/dev/null 2>&1");
  };
  ASSERT_EQ(rogue_del("10.1.0.0/16"), 0);
  json::value first = d.WaitForEvent("restore", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());
  ASSERT_EQ(first.at("outcome"), "applied") << first;
  // Damage at once after the first restore: detected, and restored after the cooldown.
  ASSERT_EQ(rogue_del("10.2.0.0/16"), 0);
  json::value second = d.WaitForEvent(
      "restore", [&](const json::object& e) { return e.at("rollback") != first.at("rollback"); });
  ASSERT_TRUE(second.is_object()) << d.Log();
  EXPECT_EQ(second.at("outcome"), "applied") << second;
  EXPECT_EQ(RouteLines(ns.name(), "proto boot").size(), 2u);
  json::value rb1 = d.GetJson("/v1/rollbacks/" + std::string(first.at("rollback").as_string()));
  json::value rb2 = d.GetJson("/v1/rollbacks/" + std::string(second.at("rollback").as_string()));
  double ended = EpochSeconds(rb1.at("updated")), began = EpochSeconds(rb2.at("created"));
  ASSERT_GT(ended, 0) << rb1;
  ASSERT_GT(began, 0) << rb2;
  // A lower bound only (a slow machine makes the gap longer, never shorter); without the
  // cooldown the second restore starts settle_ms after the damage. 0.1 s allows for the
  // restorer noting the end a little after the rollback's last update.
  EXPECT_GE(began - ended, kCooldown - 0.1) << rb1 << "\n" << rb2;
}

}  // namespace
}  // namespace netsnap::e2e
