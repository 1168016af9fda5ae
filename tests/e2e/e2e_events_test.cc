// /v1/events as a client sees it: the source, type, after and limit filters, the follow stream
// with its filters and keep-alive comments.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

class E2eEvents : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(StartKernelAndResolver(&d, ns.path(), &resolv), 0); }
  NetNs ns;
  Snapshotd d;
  std::string resolv;
};

TEST_F(E2eEvents, SourceTypeAfterAndLimitFilter) {
  for (const char* s : {"k", "r", "k"}) {
    ASSERT_EQ(d.Post(std::string("/v1/sources/") + s + "/snapshots").status / 100, 2);
  }
  json::array k = d.Events("audit", "k");
  ASSERT_EQ(k.size(), 2u);
  for (const json::value& e : k) {
    EXPECT_EQ(e.at("source"), "k");
    EXPECT_EQ(e.at("type"), "audit");
    EXPECT_EQ(e.at("what"), "POST /v1/sources/{name}/snapshots");
  }
  EXPECT_LT(Int(k[0].at("id")), Int(k[1].at("id"))) << "oldest first";
  ASSERT_EQ(d.Events("audit", "r").size(), 1u);
  // after: only what came later; last_id continues where a page ended.
  json::array later = d.Events("audit", "", Int(k[0].at("id")));
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].at("source"), "r");
  EXPECT_EQ(later[1].at("id"), k[1].at("id"));
  json::value page = d.GetJson("/v1/events?type=audit&limit=1");
  ASSERT_EQ(page.at("events").as_array().size(), 1u);
  EXPECT_EQ(page.at("last_id"), page.at("events").at(0).at("id"));
  json::value next =
      d.GetJson("/v1/events?type=audit&limit=1&after=" + std::to_string(Int(page.at("last_id"))));
  ASSERT_EQ(next.at("events").as_array().size(), 1u);
  EXPECT_GT(Int(next.at("events").at(0).at("id")), Int(page.at("last_id")));
  EXPECT_EQ(d.Get("/v1/events?after=soon").status, 400);
}

TEST_F(E2eEvents, FollowStreamsOnlyWhatItsFiltersAccept) {
  HttpStream stream(d.port(), "/v1/events?follow=1&type=audit&source=r", kOperatorToken);
  ASSERT_TRUE(stream.ReadUntil(
      [](const std::string& t) { return t.find("\r\n\r\n") != std::string::npos; }, seconds(10)))
      << stream.text();
  EXPECT_NE(stream.text().find("text/event-stream"), std::string::npos) << stream.text();
  // k's audit event is published before r's: when r's arrives, k's was filtered out.
  ASSERT_EQ(d.Post("/v1/sources/k/snapshots").status / 100, 2);
  ASSERT_EQ(d.Post("/v1/sources/r/snapshots").status / 100, 2);
  ASSERT_TRUE(stream.ReadUntil(
      [](const std::string& t) { return t.find("\"source\":\"r\"") != std::string::npos; },
      seconds(10)))
      << stream.text();
  EXPECT_NE(stream.text().find("event: audit\n"), std::string::npos) << stream.text();
  EXPECT_EQ(stream.text().find("\"source\":\"k\""), std::string::npos) << stream.text();
}

TEST_F(E2eEvents, FollowWithAfterSendsTheBacklogFirst) {
  ASSERT_EQ(d.Post("/v1/sources/k/snapshots").status / 100, 2);
  json::array before = d.Events("audit");
  ASSERT_EQ(before.size(), 1u);
  HttpStream stream(d.port(), "/v1/events?follow=1&type=audit&after=0", kOperatorToken);
  std::string id_line = "id: " + std::to_string(Int(before[0].at("id"))) + "\n";
  ASSERT_TRUE(stream.ReadUntil(
      [&](const std::string& t) { return t.find(id_line) != std::string::npos; }, seconds(10)))
      << stream.text();
}

TEST_F(E2eEvents, AnIdleStreamGetsKeepAliveComments) {
  // Documented period: 15 s. Nothing else happens on this filter.
  HttpStream stream(d.port(), "/v1/events?follow=1&type=nothing-ever", kOperatorToken);
  ASSERT_TRUE(stream.ReadUntil(
      [](const std::string& t) { return t.find(": keep-alive\n\n") != std::string::npos; },
      seconds(25)))
      << stream.text();
}

}  // namespace
}  // namespace netsnap::e2e
