// Rollbacks of the real daemon over HTTP: the guard and its override, a second rollback while
// one runs, a live change between plan and apply (replan, if_unchanged), Idempotency-Key, a
// change that fails (a device gone) and its revert, confirmation windows, cancel, and probes
// (dns against a real dnsmasq, tcp against a listener, gateway against a veth peer).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <future>

#include "dnsmasq.h"
#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }
int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

// A daemon with one kernel source "k" on a fresh namespace, routes in table 100.
class E2eRollback : public ::testing::Test {
 protected:
  void SetUp() override {
    hold_ = d.dir().Sub("hold-apply");
    d.SetEnv("NETSNAP_TEST_HOLD_APPLY_FILE", hold_);
    d.Configure(KernelSource("k", ns.path()));
    ASSERT_TRUE(d.Start());
    json::value first = d.WaitForVersion("k", [](const json::object&) { return true; });
    ASSERT_TRUE(first.is_object());
    rules_ = static_cast<size_t>(Int(first.at("records")));  // the namespace's default rules
  }
  // Adds routes to table 100 via a0 and waits until the daemon holds `routes` routes.
  int64_t AddAndWait(const std::vector<std::string>& dsts, size_t routes) {
    for (const std::string& dst : dsts) {
      EXPECT_EQ(ns.Ip("route add " + dst + " via 10.99.0.5 dev a0 table 100"), 0) << dst;
    }
    return WaitRecords(routes);
  }
  // Waits until the latest version holds `routes` routes (and the default rules); returns it.
  int64_t WaitRecords(size_t routes) {
    size_t records = rules_ + routes;
    json::value v =
        d.WaitForVersion("k", [&](const json::object& h) { return h.at("records") == records; });
    EXPECT_TRUE(v.is_object()) << "no version with " << routes << " routes";
    return v.is_object() ? Int(v.at("version")) : -1;
  }
  HttpReply Rollback(const std::string& body,
                     const std::map<std::string, std::string>& headers = {}) {
    return d.Post("/v1/sources/k/rollbacks", body, headers);
  }

  // Posts a rollback and waits until the daemon holds it between its plan and its apply (its
  // test hook, NETSNAP_TEST_HOLD_APPLY_FILE); Release() lets it go on.
  std::future<HttpReply> PostHeld(const std::string& body) {
    WriteFile(hold_, "hold\n");
    auto reply = std::async(std::launch::async, [this, body] { return Rollback(body); });
    EXPECT_TRUE(WaitFor([&] { return ReadFile(hold_) == "held\n"; })) << "never held";
    return reply;
  }
  void Release() { std::filesystem::remove(hold_); }
  // A held rollback; `dst` is added to table 100 in the window, and the daemon has seen it
  // (it holds `routes` routes) before the rollback goes on.
  HttpReply RollbackChangedInTheWindow(const std::string& body, const std::string& dst,
                                       size_t routes) {
    std::future<HttpReply> reply = PostHeld(body);
    EXPECT_EQ(ns.Ip("route add " + dst + " via 10.99.0.5 dev a0 table 100"), 0);
    WaitRecords(routes);
    Release();
    return reply.get();
  }

  // Waits until rollback `id` is no longer awaiting confirmation; returns it as shown then.
  json::value WaitDecided(const std::string& id) {
    json::value ev = d.WaitForEvent("rollback", [&](const json::object& e) {
      return Str(e.at("rollback")) == id && e.at("state") != "awaiting_confirmation";
    });
    EXPECT_TRUE(ev.is_object()) << "rollback " << id << " was never decided";
    return d.GetJson("/v1/rollbacks/" + id);
  }
  static std::string TcpProbe(uint16_t port) {
    return "{\"type\":\"tcp\",\"target\":\"10.99.0.2:" + std::to_string(port) + "\"}";
  }
  static constexpr const char* kGatewayProbe = "{\"type\":\"gateway\",\"target\":\"10.99.0.2\"}";

  NetNs ns;
  Snapshotd d;
  size_t rules_ = 0;
  std::string hold_;
};

TEST_F(E2eRollback, GuardRefusesEmptyingATableUnlessForcedWithAReason) {
  int64_t empty = WaitRecords(0);
  AddAndWait({"10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"}, 3);
  HttpReply r = Rollback("{\"to\":\"" + std::to_string(empty) + "\"}");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.ErrorCode(), "refused") << r.body;
  std::string message = Str(r.Json().at("error").at("message"));
  EXPECT_NE(message.find("100"), std::string::npos) << "names the table: " << message;
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 3u) << "nothing was changed";

  // force without a reason is not enough.
  r = Rollback("{\"to\":\"" + std::to_string(empty) + "\",\"force\":true}");
  EXPECT_EQ(r.status / 100, 4) << r.body;
  EXPECT_NE(r.status, 200);
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 3u);

  r = Rollback("{\"to\":\"" + std::to_string(empty) +
               "\",\"force\":true,\"reason\":\"decommission table 100\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("state"), "applied");
  EXPECT_EQ(r.Json().at("force"), true);
  EXPECT_EQ(r.Json().at("reason"), "decommission table 100");
  EXPECT_EQ(r.Json().at("plan").at("remove"), 3);
  EXPECT_TRUE(RouteLines(ns.name(), "table 100").empty());
}

// api.md: a kernel rollback of more than 4,096 records (and half the table) is recorded as one
// version: the capture stops following notifications while it applies and reads once after.
TEST_F(E2eRollback, ALargeRollbackIsRecordedAsOneVersion) {
  constexpr int kRoutes = 20000;
  std::string batch;
  for (int i = 0; i < kRoutes; ++i) {
    batch += "route add 10." + std::to_string(100 + i / 256) + "." + std::to_string(i % 256) +
             ".0/24 via 10.99.0.5 dev a0 table 100\n";
  }
  WriteFile(d.dir().Sub("add.batch"), batch);
  ASSERT_EQ(ns.IpBatch(d.dir().Sub("add.batch")), 0);
  int64_t full = WaitRecords(kRoutes);
  ASSERT_EQ(ns.Ip("route flush table 100"), 0);
  WaitRecords(0);
  HttpReply r = Rollback("{\"to\":\"" + std::to_string(full) + "\"}");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 2000);
  json::value rb = r.Json();
  ASSERT_EQ(rb.at("state"), "applied") << r.body.substr(0, 2000);
  EXPECT_EQ(rb.at("plan").at("add"), kRoutes);
  int64_t pre = Int(rb.at("pre_version")), post = Int(rb.at("post_version"));
  EXPECT_EQ(post, pre + 1) << "the rollback's changes are one version";
  json::value v = d.GetJson("/v1/sources/k/versions?order=asc&since=0&limit=1000");
  int64_t after_pre = 0;
  for (const json::value& h : v.at("versions").as_array()) {
    if (Int(h.at("version")) <= pre) continue;
    ++after_pre;
    EXPECT_EQ(h.at("cause"), "rollback") << h;
    EXPECT_EQ(Int(h.at("records")), static_cast<int64_t>(rules_) + kRoutes) << h;
  }
  EXPECT_EQ(after_pre, 1) << v;
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), static_cast<size_t>(kRoutes));
}

// configuration.md: guard_shrink_share and guard_min_records set the guard. Going from 3 routes
// to 2 is no shrink under the defaults (at least 10 records), and is refused once both
// thresholds are low; the message names the group.
TEST_F(E2eRollback, TheGuardSettingsOfTheConfigurationFileDecide) {
  int64_t three = AddAndWait({"10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"}, 3);
  ASSERT_EQ(ns.Ip("route add 10.4.0.0/16 via 10.99.0.5 dev a0 table 100"), 0);
  WaitRecords(4);
  std::string body = "{\"to\":" + std::to_string(three) + ",\"dry_run\":true}";
  HttpReply r = Rollback(body);
  ASSERT_EQ(r.status, 200) << "4 -> 3 under the defaults: " << r.body;

  d.Configure(KernelSource("k", ns.path()), "guard_shrink_share = 0.2\nguard_min_records = 1");
  ASSERT_TRUE(d.Restart());
  r = Rollback(body);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.ErrorCode(), "refused") << r.body;
  EXPECT_NE(Str(r.Json().at("error").at("message")).find("table 100: 4 -> 3"), std::string::npos)
      << r.body;
  // A share above what goes (1 of 4 is 25%) lets it through again.
  d.Configure(KernelSource("k", ns.path()), "guard_shrink_share = 0.3\nguard_min_records = 1");
  ASSERT_TRUE(d.Restart());
  EXPECT_EQ(Rollback(body).status, 200);
}

TEST_F(E2eRollback, ASecondRollbackWhileOneRunsIsAConflict) {
  int64_t target = AddAndWait({"10.1.0.0/16", "10.2.0.0/16"}, 2);
  ASSERT_EQ(ns.Ip("route del 10.2.0.0/16 table 100"), 0);
  WaitRecords(1);
  std::string body = "{\"to\":" + std::to_string(target) + "}";
  std::future<HttpReply> first = PostHeld(body);  // running, between its plan and its apply
  HttpReply second = Rollback(body);
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(second.ErrorCode(), "conflict") << second.body;
  Release();
  HttpReply done = first.get();
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.Json().at("state"), "applied") << done.body;
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 2u);
}

TEST_F(E2eRollback, IdempotencyKeyReturnsTheSameRollback) {
  int64_t target = AddAndWait({"10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"}, 3);
  ASSERT_EQ(ns.Ip("route del 10.3.0.0/16 table 100"), 0);
  WaitRecords(2);
  std::string body = "{\"to\":" + std::to_string(target) + ",\"if_unchanged\":true}";
  HttpReply a = Rollback(body, {{"Idempotency-Key", "change-4711"}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.Json().at("state"), "applied");
  EXPECT_EQ(a.Json().at("replans"), 0);
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 3u);
  // The route is taken away again; a retry with the same key does not roll back twice.
  ASSERT_EQ(ns.Ip("route del 10.3.0.0/16 table 100"), 0);
  WaitRecords(2);
  HttpReply b = Rollback(body, {{"Idempotency-Key", "change-4711"}});
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.Json().at("id"), a.Json().at("id"));
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 2u) << "the retry changed nothing";
  EXPECT_EQ(d.GetJson("/v1/rollbacks").at("rollbacks").as_array().size(), 1u);
  // Another key is another rollback.
  HttpReply c = Rollback(body, {{"Idempotency-Key", "change-4712"}});
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_NE(c.Json().at("id"), a.Json().at("id"));
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 3u);
}

TEST_F(E2eRollback, ADeviceThatVanishedFailsTheRollbackWhichIsRevertedWithFailures) {
  ASSERT_EQ(ns.Ip("link add c0 type veth peer name d0"), 0);
  ASSERT_EQ(ns.Ip("link set c0 up"), 0);
  ASSERT_EQ(ns.Ip("link set d0 up"), 0);
  ASSERT_EQ(ns.Ip("addr add 10.98.0.1/24 dev c0"), 0);
  ASSERT_EQ(ns.Ip("route add 10.3.0.0/16 via 10.99.0.5 dev a0 table 100"), 0);
  ASSERT_EQ(ns.Ip("route add 10.1.0.0/16 via 10.99.0.5 dev a0 table 100"), 0);
  ASSERT_EQ(ns.Ip("route add 10.2.0.0/16 via 10.98.0.5 dev c0 table 100"), 0);
  int64_t target = WaitRecords(3);
  ASSERT_EQ(ns.Ip("route del 10.1.0.0/16 table 100"), 0);
  ASSERT_EQ(ns.Ip("route del 10.2.0.0/16 table 100"), 0);
  WaitRecords(1);
  // The device of one route is gone: that route cannot be put back.
  ASSERT_EQ(ns.Ip("link del c0"), 0);
  std::vector<std::string> before = RouteLines(ns.name(), "table 100");
  ASSERT_EQ(before.size(), 1u);

  HttpReply r = Rollback("{\"to\":" + std::to_string(target) + ",\"reason\":\"t\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value rb = r.Json();
  EXPECT_EQ(rb.at("state"), "failed") << rb;
  EXPECT_EQ(rb.at("plan").at("add"), 2);
  const json::array& failures = rb.at("failures").as_array();
  ASSERT_EQ(failures.size(), 1u) << rb;
  EXPECT_EQ(failures[0].at("error"), "device c0 does not exist");
  EXPECT_EQ(Str(rb.at("error")), "1 of 2 changes failed; reverted to version " +
                                     std::to_string(Int(rb.at("pre_version"))));
  // 10.1.0.0/16 did take and was taken back: the table is as before.
  EXPECT_EQ(RouteLines(ns.name(), "table 100"), before);
  // The journal says the same after a restart.
  ASSERT_TRUE(d.Restart());
  json::value again = d.GetJson("/v1/rollbacks/" + Str(rb.at("id")));
  EXPECT_EQ(again.at("state"), "failed");
  EXPECT_EQ(again.at("failures").as_array().size(), 1u);
  // The whole record that did not take, as the plan lists it, also from the journal.
  const json::object& record = failures[0].at("record").as_object();
  EXPECT_EQ(record.at("dst"), "10.2.0.0/16");
  const json::array& adds = rb.at("plan").at("records").at("add").as_array();
  EXPECT_NE(std::find(adds.begin(), adds.end(), failures[0].at("record")), adds.end()) << rb;
  EXPECT_EQ(again.at("failures").at(0).at("record"), failures[0].at("record"));
}

// api.md: a live state that changes between plan and apply makes the rollback plan again; with
// "if_unchanged": true it is 409 conflict and changes nothing.
TEST_F(E2eRollback, ALiveChangeBetweenPlanAndApplyReplansOrWithIfUnchangedIsAConflict) {
  int64_t target = AddAndWait({"10.1.0.0/16", "10.2.0.0/16"}, 2);
  ASSERT_EQ(ns.Ip("route del 10.2.0.0/16 table 100"), 0);
  WaitRecords(1);
  std::string to = "{\"to\":" + std::to_string(target);

  HttpReply r = RollbackChangedInTheWindow(to + ",\"if_unchanged\":true}", "10.3.0.0/16", 2);
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.Json().at("error").at("code"), "conflict");
  EXPECT_NE(Str(r.Json().at("error").at("message")).find("changed after the plan was made"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 2u) << "a conflict changes nothing";

  // Planned from {10.1, 10.3} the plan would add 10.2 and remove 10.3; it is planned again
  // from {10.1, 10.3, 10.4} and removes both.
  r = RollbackChangedInTheWindow(to + "}", "10.4.0.0/16", 3);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value rb = r.Json();
  EXPECT_EQ(rb.at("state"), "applied") << rb;
  EXPECT_EQ(rb.at("replans"), 1);
  EXPECT_EQ(rb.at("plan").at("add"), 1);
  EXPECT_EQ(rb.at("plan").at("remove"), 2);
  std::vector<std::string> routes = RouteLines(ns.name(), "table 100");
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].rfind("10.1.0.0/16 ", 0), 0u) << routes[0];
  EXPECT_EQ(routes[1].rfind("10.2.0.0/16 ", 0), 0u) << routes[1];
}

TEST_F(E2eRollback, ConfirmKeepsCancelRevertsAndAnExpiredWindowReverts) {
  int64_t target = AddAndWait({"10.1.0.0/16", "10.2.0.0/16"}, 2);
  ASSERT_EQ(ns.Ip("route del 10.2.0.0/16 table 100"), 0);
  WaitRecords(1);
  std::string body = "{\"to\":" + std::to_string(target) + ",\"confirm_within_s\":120}";

  HttpReply r = Rollback(body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("state"), "awaiting_confirmation");
  EXPECT_TRUE(r.Json().at("confirm_deadline").is_string());
  std::string id = Str(r.Json().at("id"));
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 2u);
  r = d.Post("/v1/rollbacks/" + id + "/confirm");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("state"), "confirmed");
  EXPECT_EQ(d.GetJson("/v1/rollbacks/" + id).at("state"), "confirmed");
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 2u);
  EXPECT_EQ(d.Post("/v1/rollbacks/" + id + "/cancel").status, 409);

  ASSERT_EQ(ns.Ip("route del 10.2.0.0/16 table 100"), 0);
  WaitRecords(1);
  r = Rollback(body);
  ASSERT_EQ(r.status, 200) << r.body;
  id = Str(r.Json().at("id"));
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 2u);
  r = d.Post("/v1/rollbacks/" + id + "/cancel");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("state"), "reverted");
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 1u);
  EXPECT_EQ(d.Post("/v1/rollbacks/" + id + "/confirm").status, 409);

  // Nobody confirms within a second: reverted by the daemon.
  r = Rollback("{\"to\":" + std::to_string(target) + ",\"confirm_within_s\":1}");
  ASSERT_EQ(r.status, 200) << r.body;
  id = Str(r.Json().at("id"));
  json::value ev = d.WaitForEvent("rollback", [&](const json::object& e) {
    return Str(e.at("rollback")) == id && e.at("state") != "awaiting_confirmation";
  });
  ASSERT_TRUE(ev.is_object());
  EXPECT_EQ(ev.at("state"), "reverted");
  EXPECT_NE(Str(ev.at("error")).find("not confirmed within the deadline"), std::string::npos) << ev;
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 1u);
}

// api.md: a `tcp` probe passes when host:port accepts a connection, a `gateway` probe when the
// address answers one ICMP echo; both run inside the source's namespace (here b0's address).
// Passing before and after the change, they confirm the rollback.
TEST_F(E2eRollback, TcpAndGatewayProbesThatPassConfirm) {
  int64_t target = AddAndWait({"10.1.0.0/16", "10.2.0.0/16"}, 2);
  ASSERT_EQ(ns.Ip("route del 10.2.0.0/16 table 100"), 0);
  WaitRecords(1);
  uint16_t port = 0;
  int listener = ns.Socket(SOCK_STREAM, "10.99.0.2", &port);
  ASSERT_GE(listener, 0);
  HttpReply r =
      Rollback("{\"to\":" + std::to_string(target) + ",\"confirm_within_s\":60,\"probes\":[" +
               TcpProbe(port) + "," + kGatewayProbe + "]}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("state"), "awaiting_confirmation");
  json::value rb = WaitDecided(Str(r.Json().at("id")));
  EXPECT_EQ(rb.at("state"), "confirmed") << rb;
  EXPECT_EQ(rb.at("error"), "confirmed by its probes");
  for (const json::value& p : rb.at("probes").as_array()) EXPECT_EQ(p.at("failed_before"), false);
  EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 2u);
  close(listener);
}

// api.md: a `dns` probe without a server uses the system resolver, from inside the source's
// namespace: `localhost` resolves from /etc/hosts; a name that needs a DNS server cannot be
// resolved there (the namespace has no route out), so it failed before and is not required.
TEST_F(E2eRollback, ADnsProbeWithoutAServerUsesTheSystemResolver) {
  int64_t target = AddAndWait({"10.1.0.0/16", "10.2.0.0/16"}, 2);
  ASSERT_EQ(ns.Ip("route del 10.2.0.0/16 table 100"), 0);
  WaitRecords(1);
  HttpReply r = Rollback("{\"to\":" + std::to_string(target) +
                         ",\"confirm_within_s\":60,\"probes\":["
                         "{\"type\":\"dns\",\"target\":\"localhost\"},"
                         "{\"type\":\"dns\",\"target\":\"nstest-probe.invalid\"}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value rb = WaitDecided(Str(r.Json().at("id")));
  EXPECT_EQ(rb.at("state"), "confirmed") << rb;
  EXPECT_EQ(rb.at("probes").at(0).at("failed_before"), false) << rb;
  EXPECT_EQ(rb.at("probes").at(1).at("failed_before"), true) << rb;
}

// Each probe decides alone: a listener that closes, or an address that stops answering pings,
// after the probes passed before the change, reverts the rollback at its deadline. The change
// is made while the daemon holds the rollback between its plan and its apply.
TEST_F(E2eRollback, ATcpOrGatewayProbeThatFailsAfterTheChangeRevertsIt) {
  int64_t target = AddAndWait({"10.1.0.0/16", "10.2.0.0/16"}, 2);
  ASSERT_EQ(ns.Ip("route del 10.2.0.0/16 table 100"), 0);
  WaitRecords(1);
  for (bool break_tcp : {true, false}) {
    SCOPED_TRACE(break_tcp ? "the listener closes" : "the address stops answering pings");
    uint16_t port = 0;
    int listener = ns.Socket(SOCK_STREAM, "10.99.0.2", &port);
    ASSERT_GE(listener, 0);
    std::future<HttpReply> reply =
        PostHeld("{\"to\":" + std::to_string(target) + ",\"confirm_within_s\":2,\"probes\":[" +
                 TcpProbe(port) + "," + kGatewayProbe + "]}");
    if (break_tcp) {
      close(listener);
    } else {
      ASSERT_EQ(ns.Exec("sysctl -qw net.ipv4.icmp_echo_ignore_all=1"), 0);
    }
    Release();
    HttpReply r = reply.get();
    ASSERT_EQ(r.status, 200) << r.body;
    json::value rb = WaitDecided(Str(r.Json().at("id")));
    EXPECT_EQ(rb.at("state"), "reverted") << rb;
    EXPECT_EQ(Str(rb.at("error")),
              "its probes did not pass before the deadline; reverted to "
              "version " +
                  std::to_string(Int(rb.at("pre_version"))));
    for (const json::value& p : rb.at("probes").as_array()) {
      EXPECT_EQ(p.at("failed_before"), false) << p;
    }
    EXPECT_EQ(RouteLines(ns.name(), "table 100").size(), 1u);
    if (!break_tcp) close(listener);
  }
}

// A resolver source in a temp folder; probes ask a real dnsmasq on a loopback port.
TEST(E2eProbes, ADnsProbeConfirmsAndOneFailingBeforeIsNotRequired) {
  if (!netsnap::testing::HaveDnsmasq()) GTEST_SKIP() << "needs dnsmasq-base and bind9-dnsutils";
  Snapshotd d;
  uint16_t dns_port = netsnap::testing::FreePort();
  std::string conf = d.dir().Sub("dnsmasq.conf");
  WriteFile(conf, "port=" + std::to_string(dns_port) +
                      "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
                      "address=/corp.example/10.1.2.3\n");
  netsnap::testing::Dnsmasq dnsmasq(conf, d.dir().Sub("dnsmasq.log"));
  ASSERT_EQ(netsnap::testing::WaitForAnswer(dns_port, "corp.example", "10.1.2.3"), "10.1.2.3");

  std::string resolv = WriteResolvConf(d);
  // reread_s = 1: a write right after a rollback's own write was seen missed by inotify
  // (see the report); the periodic re-read keeps this test about probes.
  d.Configure(ResolverSource("r", "resolv.conf", resolv, "reread_s = 1"));
  ASSERT_TRUE(d.Start());
  json::value v1 =
      d.WaitForVersion("r", [](const json::object& h) { return h.at("records") != 0; });
  ASSERT_TRUE(v1.is_object());
  auto change = [&] {
    int64_t last = Int(d.Latest("r").at("version"));
    WriteFile(resolv, "nameserver 192.0.2.53\n");
    ASSERT_TRUE(
        d.WaitForVersion("r", [&](const json::object& h) { return Int(h.at("version")) > last; })
            .is_object())
        << "after version " << last << ": " << d.Log();
  };
  change();

  std::string probe = "corp.example@127.0.0.1:" + std::to_string(dns_port);
  HttpReply r = d.Post("/v1/sources/r/rollbacks",
                       "{\"to\":" + std::to_string(Int(v1.at("version"))) +
                           ",\"confirm_within_s\":60,\"probes\":[{\"type\":\"dns\",\"target\":\"" +
                           probe + "\"}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("state"), "awaiting_confirmation");
  std::string id = Str(r.Json().at("id"));
  EXPECT_EQ(ReadFile(resolv), "nameserver 127.0.0.1\n");
  json::value ev = d.WaitForEvent("rollback", [&](const json::object& e) {
    return Str(e.at("rollback")) == id && e.at("state") != "awaiting_confirmation";
  });
  ASSERT_TRUE(ev.is_object());
  EXPECT_EQ(ev.at("state"), "confirmed");
  EXPECT_EQ(ev.at("error"), "confirmed by its probes");
  EXPECT_EQ(ReadFile(resolv), "nameserver 127.0.0.1\n");

  // Nothing answers on this port, before the change or after: a probe that fails before the
  // change is reported (failed_before) and not required, so the rollback is confirmed (api.md).
  // A probe that passes before and fails after reverts: restore/rollback_test covers that.
  change();
  uint16_t silent = netsnap::testing::FreePort();
  r = d.Post("/v1/sources/r/rollbacks",
             "{\"to\":" + std::to_string(Int(v1.at("version"))) +
                 ",\"confirm_within_s\":2,\"probes\":[{\"type\":\"dns\",\"target\":\"corp.example@"
                 "127.0.0.1:" +
                 std::to_string(silent) + "\"}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  id = Str(r.Json().at("id"));
  ev = d.WaitForEvent("rollback", [&](const json::object& e) {
    return Str(e.at("rollback")) == id && e.at("state") != "awaiting_confirmation";
  });
  ASSERT_TRUE(ev.is_object());
  EXPECT_EQ(ev.at("state"), "confirmed") << ev;
  json::value rb = d.GetJson("/v1/rollbacks/" + id);
  ASSERT_TRUE(rb.is_object());
  EXPECT_EQ(rb.at("probes").at(0).at("failed_before"), true) << rb;
  EXPECT_EQ(ReadFile(resolv), "nameserver 127.0.0.1\n");
}

}  // namespace
}  // namespace netsnap::e2e
