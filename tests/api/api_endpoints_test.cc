// Every endpoint of the v1 API against a real daemon over loopback.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "api/json.h"
#include "api_harness.h"
#include "netsnap/time.h"

namespace netsnap::testing {
namespace {

namespace json = boost::json;

class ApiEndpoints : public ::testing::Test {
 protected:
  ApiHarness h;
};

TEST_F(ApiEndpoints, Health) {
  HttpReply r = Http(h.port(), "GET", "/v1/health");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = r.json();
  EXPECT_EQ(v.at("status"), "ok");
  ASSERT_EQ(v.at("sources").as_array().size(), 1u);
  EXPECT_EQ(v.at("sources").at(0).at("name"), "main");
  EXPECT_TRUE(v.at("sources").at(0).at("error").is_null());
}

TEST_F(ApiEndpoints, Sources) {
  HttpReply r = Http(h.port(), "GET", "/v1/sources");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value s = r.json().at("sources").at(0);
  EXPECT_EQ(s.at("name"), "main");
  EXPECT_EQ(s.at("kind"), "memory");
  EXPECT_EQ(s.at("latest_version"), 1);
  EXPECT_EQ(s.at("records"), 10);
  EXPECT_TRUE(s.at("latest_time").is_string());
}

TEST_F(ApiEndpoints, VersionsListAndShow) {
  h.Capture(TestRoutes(12, "192.0.2.1"));
  HttpReply r = Http(h.port(), "GET", "/v1/sources/main/versions");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array vs = r.json().at("versions").as_array();
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].at("version"), 2);  // newest first
  EXPECT_EQ(vs[0].at("cause"), "manual");
  EXPECT_EQ(vs[0].at("added"), 2);
  EXPECT_EQ(vs[0].at("records"), 12);
  EXPECT_EQ(vs[0].at("hash").as_string().size(), 32u);
  for (const char* f :
       {"version", "time", "cause", "records", "added", "removed", "changed", "hash", "actor"}) {
    EXPECT_TRUE(vs[0].as_object().contains(f)) << f;
  }
  EXPECT_TRUE(r.json().at("next_cursor").is_null());

  r = Http(h.port(), "GET", "/v1/sources/main/versions/1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("records").as_array().size(), 10u);
  EXPECT_EQ(r.json().at("records").at(0).at("dst"), "10.0.0.0/24");

  r = Http(h.port(), "GET", "/v1/sources/main/versions/latest?format=text");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("10.0.11.0/24 via 192.0.2.1 dev eth0"), std::string::npos) << r.body;
  EXPECT_EQ(r.headers["content-type"].rfind("text/plain", 0), 0u);

  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/main/versions/99").status, 404);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/main/versions/abc").status, 400);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/nope/versions").status, 404);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/main/versions/1?format=xml").status, 400);
}

TEST_F(ApiEndpoints, AtTime) {
  HttpReply r = Http(h.port(), "GET", "/v1/sources/main/at/now");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("version"), 1);
  r = Http(h.port(), "GET", "/v1/sources/main/at/2001-01-01T00:00:00Z");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.json().at("error").at("code"), "not_found");
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/main/at/yesterday").status, 400);
}

TEST_F(ApiEndpoints, Diff) {
  std::vector<Route> routes = TestRoutes(10, "192.0.2.1");
  routes.erase(routes.begin());                               // removed 10.0.0.0/24
  routes[0] = TestRoute("10.0.1.0/24", "192.0.2.9");          // changed
  routes.push_back(TestRoute("172.16.0.0/12", "192.0.2.1"));  // added
  h.Capture(routes);
  HttpReply r = Http(h.port(), "GET", "/v1/sources/main/diff?from=1&to=2");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value d = r.json();
  EXPECT_EQ(d.at("from").at("version"), 1);
  EXPECT_EQ(d.at("to").at("version"), 2);
  ASSERT_EQ(d.at("added").as_array().size(), 1u);
  EXPECT_EQ(d.at("added").at(0).at("dst"), "172.16.0.0/12");
  ASSERT_EQ(d.at("removed").as_array().size(), 1u);
  ASSERT_EQ(d.at("changed").as_array().size(), 1u);
  EXPECT_EQ(d.at("changed").at(0).at("old").at("gateway"), "192.0.2.1");
  EXPECT_EQ(d.at("changed").at(0).at("new").at("gateway"), "192.0.2.9");
  EXPECT_EQ(d.at("changed").at(0).at("key").at("dst"), "10.0.1.0/24");

  // Live differs from the latest version by one route.
  routes.push_back(TestRoute("192.168.0.0/16", "192.0.2.1"));
  h.source()->SetRoutes(routes);
  r = Http(h.port(), "GET", "/v1/sources/main/diff?from=latest&to=live");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("to"), "live");
  EXPECT_EQ(r.json().at("added").as_array().size(), 1u);

  r = Http(h.port(), "GET", "/v1/sources/main/diff?from=1&format=text");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("+ 172.16.0.0/12 via 192.0.2.1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("- 10.0.0.0/24 via 192.0.2.1"), std::string::npos) << r.body;

  // Times work as well as numbers.
  r = Http(h.port(), "GET", "/v1/sources/main/diff?from=-1h&to=now");
  EXPECT_EQ(r.status, 404) << r.body;  // nothing an hour ago
  r = Http(h.port(), "GET",
           "/v1/sources/main/diff?from=" + std::to_string(NowNs() / 1000000000 + 5) + "&to=1");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/main/diff").status, 400);
}

TEST_F(ApiEndpoints, SnapshotCreatesThenReuses) {
  h.source()->SetRoutes(TestRoutes(11, "192.0.2.1"));
  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/snapshots");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("version"), 2);
  EXPECT_EQ(r.json().at("created"), true);
  EXPECT_EQ(r.json().at("actor").at("process"), "api");
  r = Http(h.port(), "POST", "/v1/sources/main/snapshots", R"({"note":"again"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("version"), 2);
  EXPECT_EQ(r.json().at("created"), false);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/snapshots", "[1]").status, 400);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/nope/snapshots").status, 404);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/main/snapshots").status, 405);
}

TEST_F(ApiEndpoints, RollbackDryRunPlansAndScopes) {
  std::vector<Route> routes = TestRoutes(10, "192.0.2.1");
  routes.push_back(TestRoute("10.200.0.0/16", "192.0.2.1", 100));
  uint64_t good = h.Capture(routes);
  // Break things: remove two routes, change one, add one in table 100.
  std::vector<Route> broken(routes.begin() + 2, routes.end());
  broken[0] = TestRoute("10.0.2.0/24", "192.0.2.66");
  broken.push_back(TestRoute("10.201.0.0/16", "192.0.2.1", 100));
  h.source()->SetRoutes(broken);

  std::string body = R"({"to":)" + std::to_string(good) + R"(,"dry_run":true})";
  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/rollbacks", body);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value plan = r.json();
  EXPECT_EQ(plan.at("state"), "planned");
  EXPECT_EQ(plan.at("plan").at("add"), 2);
  EXPECT_EQ(plan.at("plan").at("remove"), 1);
  EXPECT_EQ(plan.at("plan").at("replace"), 1);
  // Replace: what is live now (old) by what the target version has (new).
  const json::value& replace = plan.at("plan").at("records").at("replace");
  EXPECT_EQ(replace.at(0).at("old").at("gateway"), "192.0.2.66");
  EXPECT_EQ(replace.at(0).at("new").at("gateway"), "192.0.2.1");

  // (The dry run stored the live state as a version, as continuous capture would have.)
  body = R"({"to":)" + std::to_string(good) + R"(,"dry_run":true,"scope":{"tables":[100]}})";
  r = Http(h.port(), "POST", "/v1/sources/main/rollbacks", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("plan").at("add"), 0);
  EXPECT_EQ(r.json().at("plan").at("remove"), 1);
  EXPECT_EQ(r.json().at("plan").at("replace"), 0);

  body = R"({"to":)" + std::to_string(good) +
         R"(,"dry_run":true,"scope":{"prefixes":["10.0.0.0/23"]}})";
  r = Http(h.port(), "POST", "/v1/sources/main/rollbacks", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("plan").at("add"), 2);
  EXPECT_EQ(r.json().at("plan").at("remove"), 0);

  // Nothing changes in a dry run.
  Snapshot live;
  ASSERT_TRUE(h.source()->ReadLive(&live).ok());
  EXPECT_EQ(live.hash(), SnapshotOf(broken).hash());

  // Bad bodies.
  EXPECT_EQ(
      Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":1,"dryrun":true})").status,
      400);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"dry_run":true})").status,
            400);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/rollbacks",
                 R"({"to":1,"dry_run":true,"scope":{"tables":["nope"]}})")
                .status,
            400);
  EXPECT_EQ(
      Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":99,"dry_run":true})").status,
      404);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/rollbacks",
                 R"({"to":1,"probes":[{"type":"smoke","target":"x"}]})")
                .status,
            400);
}

TEST_F(ApiEndpoints, RollbacksApplyAndAreListed) {
  std::vector<Route> routes = TestRoutes(10, "192.0.2.1");
  uint64_t good = h.Capture(routes);
  std::vector<Route> broken(routes.begin() + 1, routes.end());
  h.source()->SetRoutes(broken);

  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/rollbacks",
                     R"({"to":)" + std::to_string(good) + R"(,"reason":"test"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state"), "applied");
  std::string id(r.json().at("id").as_string());
  Snapshot live;
  ASSERT_TRUE(h.source()->ReadLive(&live).ok());
  EXPECT_EQ(live.hash(), SnapshotOf(routes).hash());

  r = Http(h.port(), "GET", "/v1/rollbacks");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("rollbacks").at(0).at("id").as_string(), id);
  r = Http(h.port(), "GET", "/v1/rollbacks/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("plan").at("add"), 1);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/rollbacks/999").status, 404);
  // Only a rollback awaiting confirmation can be confirmed or cancelled.
  EXPECT_EQ(Http(h.port(), "POST", "/v1/rollbacks/" + id + "/confirm").status, 409);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/rollbacks/" + id + "/cancel").status, 409);

  // A confirm window, confirmed in time.
  h.source()->SetRoutes(broken);
  r = Http(h.port(), "POST", "/v1/sources/main/rollbacks",
           R"({"to":)" + std::to_string(good) + R"(,"confirm_within_s":30})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state"), "awaiting_confirmation");
  id = std::string(r.json().at("id").as_string());
  r = Http(h.port(), "POST", "/v1/rollbacks/" + id + "/confirm");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state"), "confirmed");

  // A time before the first version names no version.
  r = Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":"0.5"})");
  EXPECT_EQ(r.status, 404) << r.body;

  // The guard: going back to a version that would shrink the table from 20 routes to 1 (more
  // than a quarter, and at least 10) is refused with 409 and the counts; nothing changes.
  uint64_t few = h.Capture(TestRoutes(1, "192.0.2.9"));
  std::vector<Route> many = TestRoutes(20, "192.0.2.1");
  h.source()->SetRoutes(many);
  r = Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":)" + std::to_string(few) + "}");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json().at("error").at("code"), "refused") << r.body;
  EXPECT_NE(r.body.find(": 20 -> 1 (19 fewer"), std::string::npos) << r.body;
  ASSERT_TRUE(h.source()->ReadLive(&live).ok());
  EXPECT_EQ(live.size(), many.size());
}

TEST_F(ApiEndpoints, MutatingCallsAreAudited) {
  ASSERT_EQ(Http(h.port(), "POST", "/v1/sources/main/snapshots").status, 200);
  HttpReply r = Http(h.port(), "GET", "/v1/events?type=audit");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array events = r.json().at("events").as_array();
  ASSERT_EQ(events.size(), 1u) << r.body;
  EXPECT_EQ(events[0].at("who"), "loopback");
  EXPECT_EQ(events[0].at("what"), "POST /v1/sources/{name}/snapshots");
  EXPECT_EQ(events[0].at("outcome"), "ok");
  EXPECT_EQ(events[0].at("source"), "main");
  EXPECT_TRUE(events[0].at("time").is_string());
  EXPECT_EQ(Http(h.port(), "GET", "/v1/events?type=nothing").json().at("events").as_array().size(),
            0u);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/events?since=garbage").status, 400);
}

TEST_F(ApiEndpoints, EventsFollowStreamsLiveEvents) {
  std::thread poster([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Http(h.port(), "POST", "/v1/sources/main/snapshots");
  });
  std::string out = RawExchange(
      h.port(), "GET /v1/events?follow=1&type=audit HTTP/1.1\r\nHost: localhost\r\n\r\n", 1500);
  poster.join();
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_NE(out.find("text/event-stream"), std::string::npos) << out;
  EXPECT_NE(out.find("event: audit\ndata: {"), std::string::npos) << out;
  EXPECT_NE(out.find("\"who\":\"loopback\""), std::string::npos) << out;
}

TEST_F(ApiEndpoints, EventsFollowSendsBacklogFirst) {
  Http(h.port(), "POST", "/v1/sources/main/snapshots");
  std::string out = RawExchange(
      h.port(), "GET /v1/events?follow=1&since=-1h HTTP/1.1\r\nHost: localhost\r\n\r\n", 500);
  EXPECT_NE(out.find("\nevent: audit\ndata: {"), std::string::npos) << out;
}

TEST_F(ApiEndpoints, Metrics) {
  Http(h.port(), "GET", "/v1/sources");
  Http(h.port(), "GET", "/v1/sources/nope/versions");
  HttpReply r = Http(h.port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("netsnap_http_requests_total{"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("route=\"/v1/sources/{name}/versions\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("status=\"404\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("netsnap_store_disk_bytes"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("netsnap_latest_version{source=\"main\"} 1"), std::string::npos) << r.body;
}

TEST_F(ApiEndpoints, UnknownAndWrongMethod) {
  HttpReply r = Http(h.port(), "GET", "/v2/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json().at("error").at("code"), "not_found");
  r = Http(h.port(), "DELETE", "/v1/sources");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET");
}

TEST_F(ApiEndpoints, HistoryOfUnconfiguredSourceIsReadable) {
  VersionHeader out;
  CommitInfo info;
  info.time_ns = NowNs();
  ASSERT_TRUE(
      h.store()->Commit("old", SnapshotOf(TestRoutes(3, "192.0.2.5")), nullptr, info, &out).ok());
  HttpReply r = Http(h.port(), "GET", "/v1/sources");
  ASSERT_EQ(r.json().at("sources").as_array().size(), 2u) << r.body;
  EXPECT_TRUE(r.json().at("sources").at(1).at("kind").is_null());
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/old/versions/1").status, 200);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/old/snapshots").status, 409);
}

TEST(ApiJson, FastVersionWriterMatchesTheObject) {
  VersionHeader h;
  h.version = 7;
  h.time_ns = 1767225600123456789;
  h.last_seen_ns = 1767225601000000000;
  h.cause = Cause::kRollback;
  h.records = 3;
  h.diff = {1, 2, 3};
  h.actor = {42, "ip", "ip route add \"x\"\n"};
  h.note = "rb-1 \\ \x01\b\f\r\t\x1f\x7f caf\xc3\xa9 /";
  for (int i = 0; i < 2; ++i) {
    std::string fast;
    api::AppendVersionJson(h, &fast);
    EXPECT_EQ(fast, json::serialize(api::VersionJson(h)));
    h.actor = {};
    h.last_seen_ns = 0;
  }
}

}  // namespace
}  // namespace netsnap::testing

namespace netsnap::testing {
namespace {

TEST(ApiPolicy, PauseResumeAndPolicyAtRunTime) {
  ApiHarness h;
  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/pause",
                     R"({"duration":"30m","reason":"planned change"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state").at("paused"), true);
  EXPECT_EQ(r.json().at("state").at("pause_reason"), "planned change");
  r = Http(h.port(), "GET", "/v1/sources/main/policy");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state").at("paused"), true);
  r = Http(h.port(), "POST", "/v1/sources/main/resume");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state").at("paused"), false);
  r = Http(h.port(), "PUT", "/v1/sources/main/policy", R"({"action":"restore"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("action"), "restore");

  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/pause", R"({"duration":"forever"})").status,
            400);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/pause", R"({"duration":"30d"})").status, 400);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/pause", R"({"until":"later"})").status, 400);
  EXPECT_EQ(Http(h.port(), "PUT", "/v1/sources/main/policy", R"({"action":"panic"})").status, 400);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/nope/pause", "{}").status, 404);
}

}  // namespace
}  // namespace netsnap::testing
