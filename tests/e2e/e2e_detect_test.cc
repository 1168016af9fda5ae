// Detection in the real daemon: trusted processes, restores and their events, pause expiry and
// the policy round trip over HTTP.
#include <gtest/gtest.h>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;
using netsnap::testing::Shell;

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

// A kernel source "k" whose policy protects 10.0.0.0/8 and trusts `ip`. The test changes routes
// as an untrusted writer with a copy of ip named "rogue" (/proc/PID/comm is the file's name).
class E2eDetect : public ::testing::Test {
 protected:
  void Start(const std::string& policy) {
    rogue = d.dir().Sub("rogue");
    ASSERT_EQ(Shell("cp \"$(command -v ip)\" " + rogue), 0);
    d.Configure(KernelSource("k", ns.path()) +
                "[[policy]]\nsource = \"k\"\nprotected_prefixes = [\"10.0.0.0/8\"]\n"
                "trusted_processes = [\"ip\"]\nsettle_ms = 100\n" +
                policy);
    ASSERT_TRUE(d.Start());
    for (int i = 1; i <= 3; ++i) {
      ASSERT_EQ(ns.Ip("route add 10." + std::to_string(i) + ".0.0/16 via 10.99.0.5 dev a0"), 0);
    }
    ASSERT_TRUE(d.WaitForVersion("k", [](const json::object& h) {
                   return h.at("records") == 8;
                 }).is_object());
  }
  int Rogue(const std::string& args) {
    return Shell(rogue + " -n " + ns.name() + " " + args + " >/dev/null 2>&1");
  }

  NetNs ns;
  Snapshotd d;
  std::string rogue;
};

TEST_F(E2eDetect, TrustedProcessesAreNeverDamageAndOthersAre) {
  Start("action = \"alert\"\n");
  ASSERT_EQ(ns.Ip("route del 10.1.0.0/16"), 0);  // by ip: trusted
  ASSERT_EQ(Rogue("route del 10.2.0.0/16"), 0);  // by rogue: damage
  // Versions are inspected in order: once the rogue's finding is there, ip's change was
  // inspected too, and found nothing.
  json::value ev = d.WaitForEvent("detection", [](const json::object&) { return true; });
  ASSERT_TRUE(ev.is_object());
  EXPECT_EQ(ev.at("kind"), "protected");
  EXPECT_EQ(ev.at("actor").at("process"), "rogue");
  EXPECT_EQ(ev.at("action"), "alert");
  ASSERT_EQ(ev.at("records").as_array().size(), 1u) << ev;
  EXPECT_EQ(ev.at("records").at(0).at("dst"), "10.2.0.0/16");
  ASSERT_TRUE(d.WaitForVersion("k", [](const json::object& h) {
                 return h.at("records") == 6;
               }).is_object());
  EXPECT_EQ(d.Events("detection").size(), 1u);
  EXPECT_EQ(RouteLines(ns.name(), "proto boot").size(), 1u) << "alert only: nothing put back";
}

TEST_F(E2eDetect, ARestoreIsReportedAndPutsTheRouteBack) {
  Start("action = \"restore\"\n");
  ASSERT_EQ(Rogue("route del 10.3.0.0/16"), 0);
  json::value restore = d.WaitForEvent("restore", [](const json::object&) { return true; });
  ASSERT_TRUE(restore.is_object());
  EXPECT_EQ(restore.at("outcome"), "applied") << restore;
  EXPECT_EQ(restore.at("records"), 1);
  EXPECT_EQ(restore.at("writer").at("process"), "rogue");
  std::string id = Str(restore.at("rollback"));
  json::value rb = d.GetJson("/v1/rollbacks/" + id);
  EXPECT_EQ(rb.at("cause"), "restore");
  EXPECT_EQ(rb.at("state"), "applied");
  EXPECT_EQ(RouteLines(ns.name(), "proto boot").size(), 3u);
  json::value rollback_event = d.WaitForEvent(
      "rollback", [&](const json::object& e) { return Str(e.at("rollback")) == id; });
  EXPECT_EQ(rollback_event.at("cause"), "restore");
  std::string metrics = d.Get("/metrics").body;
  EXPECT_NE(metrics.find("netsnap_restores_total{source=\"k\",outcome=\"applied\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("netsnap_detections_total{source=\"k\",kind=\"protected\"} 1"),
            std::string::npos)
      << metrics;
}

TEST_F(E2eDetect, APauseExpiresAndDetectionStartsAfresh) {
  Start("action = \"restore\"\n");
  HttpReply r = d.Post("/v1/sources/k/pause", "{\"duration\":\"1s\",\"reason\":\"CHG-1234\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value pause = d.WaitForEvent("detection_pause", [](const json::object&) { return true; });
  ASSERT_TRUE(pause.is_object());
  EXPECT_EQ(pause.at("reason"), "CHG-1234");
  EXPECT_TRUE(pause.at("until").is_string()) << pause;
  json::value policy = d.GetJson("/v1/sources/k/policy");
  EXPECT_EQ(policy.at("state").at("paused"), true);
  EXPECT_EQ(policy.at("state").at("pause_reason"), "CHG-1234");

  ASSERT_TRUE(
      WaitFor([&] { return d.GetJson("/v1/sources/k/policy").at("state").at("paused") == false; },
              seconds(20)));
  // The expiry is noticed when the next version is inspected: the event comes with it, and
  // damage after the pause is restored.
  ASSERT_EQ(Rogue("route del 10.1.0.0/16"), 0);
  json::value resumed =
      d.WaitForEvent("detection_resume", [](const json::object&) { return true; });
  ASSERT_TRUE(resumed.is_object());
  EXPECT_EQ(resumed.at("reason"), "the pause expired");
  json::value restore = d.WaitForEvent("restore", [](const json::object&) { return true; });
  ASSERT_TRUE(restore.is_object());
  EXPECT_EQ(restore.at("outcome"), "applied");
  EXPECT_EQ(RouteLines(ns.name(), "proto boot").size(), 3u);
}

TEST_F(E2eDetect, APolicyReadAndPutBackRoundTripsAndIsAnEvent) {
  Start("action = \"alert\"\ncooldown_s = 7\n");
  json::value got = d.GetJson("/v1/sources/k/policy");
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got.at("source"), "k");
  EXPECT_EQ(got.at("cooldown_s").to_number<double>(), 7);
  EXPECT_EQ(got.at("trusted_processes").at(0), "ip");
  json::object edited = got.as_object();
  edited["action"] = "restore";
  edited["max_restores_per_hour"] = 2;
  HttpReply r = d.Put("/v1/sources/k/policy", json::serialize(edited));
  ASSERT_EQ(r.status, 200) << r.body;
  json::value event = d.WaitForEvent("detection_policy", [](const json::object&) { return true; });
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(event.at("policy").at("action"), "restore");
  json::value now = d.GetJson("/v1/sources/k/policy");
  json::object a = now.as_object(), b = edited;
  a.erase("state");
  b.erase("state");
  EXPECT_EQ(json::value(a), json::value(b));
  // Unknown keys are refused, naming the key; keys left out take the defaults.
  r = d.Put("/v1/sources/k/policy", "{\"actoin\":\"restore\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("actoin"), std::string::npos) << r.body;
  r = d.Put("/v1/sources/k/policy", "{\"action\":\"alert\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  now = d.GetJson("/v1/sources/k/policy");
  EXPECT_EQ(now.at("cooldown_s").to_number<double>(), 5) << "the default, not the file's";
  EXPECT_TRUE(now.at("trusted_processes").as_array().empty());
  // The policy put and a pause survive a restart (the file's [[policy]] is unchanged).
  r = d.Post("/v1/sources/k/pause", R"({"duration": "1h", "reason": "maintenance"})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(d.Restart());
  now = d.GetJson("/v1/sources/k/policy");
  EXPECT_EQ(now.at("cooldown_s").to_number<double>(), 5) << "the policy put, not the file's";
  EXPECT_TRUE(now.at("trusted_processes").as_array().empty());
  EXPECT_EQ(now.at("state").at("paused"), true);
  EXPECT_EQ(now.at("state").at("pause_reason"), "maintenance");
  EXPECT_NE(Str(now.at("state").at("paused_until")), "");
}

}  // namespace
}  // namespace netsnap::e2e
