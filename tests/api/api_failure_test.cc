// A rollback whose changes fail, over HTTP: the source refuses some records (as a kernel refuses
// a route whose device vanished); the rollback reverts what it applied, ends `failed` and lists
// every record that did not take, with the source's reason.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api_harness.h"

namespace netsnap::testing {
namespace {

namespace json = boost::json;

constexpr const char* kTokens = "api-failure-operator-0123 operator olga\n";
constexpr const char* kToken = "api-failure-operator-0123";

TEST(ApiFailure, FailedChangesAreRevertedAndListed) {
  ApiHarness h({}, kTokens);
  std::vector<Route> routes = TestRoutes(10, "192.0.2.1");
  uint64_t good = h.Capture(routes);
  // Two routes go missing; putting them back fails for one of them.
  std::vector<Route> broken(routes.begin() + 2, routes.end());
  uint64_t before = h.Capture(broken);
  Snapshot live_before;
  ASSERT_TRUE(h.source()->ReadLive(&live_before).ok());
  std::string refused = routes[1].ToRecord().key;
  h.source()->FailApplyOf({refused}, "Cannot find device \"eth0\"");

  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/rollbacks",
                     R"({"to":)" + std::to_string(good) + R"(,"reason":"test"})", kToken);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value rb = r.json();
  EXPECT_EQ(rb.at("state"), "failed") << rb;
  EXPECT_EQ(rb.at("pre_version"), before);
  EXPECT_EQ(rb.at("plan").at("add"), 2);
  const json::array& failures = rb.at("failures").as_array();
  ASSERT_EQ(failures.size(), 1u) << rb;
  EXPECT_EQ(failures[0].at("error"), "Cannot find device \"eth0\"");
  EXPECT_EQ(failures[0].at("record").at("kind"), "route");
  // The route that did take was taken back: the live state is what it was before.
  Snapshot live;
  ASSERT_TRUE(h.source()->ReadLive(&live).ok());
  EXPECT_EQ(live.hash(), live_before.hash());
  EXPECT_EQ(h.source()->applied(), 2u) << "one add, then its removal";
  std::string error(rb.at("error").as_string());
  EXPECT_NE(error.find("1 of 2 changes failed"), std::string::npos) << error;
  EXPECT_NE(error.find("reverted to version " + std::to_string(before)), std::string::npos)
      << error;

  // The journal and the event say the same.
  std::string id(rb.at("id").as_string());
  r = Http(h.port(), "GET", "/v1/rollbacks/" + id, "", kToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state"), "failed");
  EXPECT_EQ(r.json().at("failures").as_array().size(), 1u);
  r = Http(h.port(), "GET", "/v1/events?type=rollback", "", kToken);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value listed = r.json();
  const json::array& events = listed.at("events").as_array();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().at("state"), "failed");
  EXPECT_EQ(events.back().at("failures"), 1);

  // Once the source takes changes again, the same rollback applies.
  h.source()->ClearFailures();
  r = Http(h.port(), "POST", "/v1/sources/main/rollbacks",
           R"({"to":)" + std::to_string(good) + R"(,"reason":"again"})", kToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state"), "applied") << r.body;
  ASSERT_TRUE(h.source()->ReadLive(&live).ok());
  EXPECT_EQ(live.hash(), SnapshotOf(routes).hash());
}

TEST(ApiFailure, AFailingRevertIsReportedToo) {
  ApiHarness h({}, kTokens);
  std::vector<Route> routes = TestRoutes(10, "192.0.2.1");
  uint64_t good = h.Capture(routes);
  std::vector<Route> broken(routes.begin() + 3, routes.end());
  h.Capture(broken);
  // The first add takes; every change after it fails, the revert's removal included.
  h.source()->FailAfter(1, "Operation not permitted");
  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/rollbacks",
                     R"({"to":)" + std::to_string(good) + R"(,"reason":"test"})", kToken);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value rb = r.json();
  EXPECT_EQ(rb.at("state"), "failed");
  std::string error(rb.at("error").as_string());
  EXPECT_NE(error.find("the revert failed too"), std::string::npos) << error;
  // Two adds refused, then the revert's removal of the one that took.
  EXPECT_EQ(rb.at("failures").as_array().size(), 3u) << rb;
  for (const json::value& f : rb.at("failures").as_array()) {
    EXPECT_EQ(f.at("error"), "Operation not permitted");
  }
}

}  // namespace
}  // namespace netsnap::testing
