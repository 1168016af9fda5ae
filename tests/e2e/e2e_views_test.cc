// What a person reads: ?format=text views of versions and diffs, the CLI's show and diff, and
// /metrics after real activity.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

// One kernel source "k" and one resolver source "r" on a resolv.conf in the temp folder.
class E2eViews : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(d.dir().Sub("etc"));
    resolv = d.dir().Sub("etc/resolv.conf");
    WriteFile(resolv, "nameserver 127.0.0.1\n");
    d.Configure(KernelSource("k", ns.path()) + ResolverSource("r", "resolv.conf", resolv));
    ASSERT_TRUE(d.Start());
    first = Int(d.WaitForVersion("k", [](const json::object&) { return true; }).at("version"));
    ASSERT_EQ(ns.Ip("route add 10.1.0.0/16 via 10.99.0.5 dev a0 table 100"), 0);
    latest = Int(d.WaitForVersion("k", [&](const json::object& h) {
                    return Int(h.at("version")) > first;
                  }).at("version"));
  }

  NetNs ns;
  Snapshotd d;
  std::string resolv;
  int64_t first = 0, latest = 0;
};

// The namespace's default policy rules as `ip rule` prints them (IPv4, then IPv6).
constexpr const char* kRules =
    "0: from all lookup local\n32766: from all lookup main\n32767: from all lookup default\n"
    "0: from all lookup local\n32766: from all lookup main\n";

TEST_F(E2eViews, VersionAsTextIsIpRouteAndIpRuleOutput) {
  HttpReply r = d.Get("/v1/sources/k/versions/latest?format=text");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string head = r.body.substr(0, r.body.find('\n') + 1);
  EXPECT_EQ(head.rfind("# k version " + std::to_string(latest) + ", ", 0), 0u) << head;
  EXPECT_NE(head.find(", event, 6 records\n"), std::string::npos) << head;
  EXPECT_EQ(r.body.substr(head.size()),
            std::string("10.1.0.0/16 via 10.99.0.5 dev a0 table 100\n") + kRules);
  // The same at a time, and through the CLI.
  r = d.Get("/v1/sources/k/at/now?format=text");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.rfind(head, 0), 0u) << r.body;
  CliResult show = d.Cli({"show", "k@" + std::to_string(latest)});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(show.out, r.body);
}

TEST_F(E2eViews, ResolverVersionAsTextIsTheFilesOwnText) {
  HttpReply r = d.Get("/v1/sources/r/versions/latest?format=text");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string head = r.body.substr(0, r.body.find('\n') + 1);
  EXPECT_EQ(head.rfind("# r version 1, ", 0), 0u) << head;
  EXPECT_EQ(r.body.substr(head.size()),
            ". forward 127.0.0.1 origin " + resolv + "\nnameserver 127.0.0.1\n");
}

TEST_F(E2eViews, DiffAsTextIsAPlusMinusListing) {
  HttpReply r = d.Get("/v1/sources/k/diff?from=" + std::to_string(first) + "&format=text");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "--- version " + std::to_string(first) + "\n+++ version " +
                        std::to_string(latest) +
                        "\n+ 10.1.0.0/16 via 10.99.0.5 dev a0 table 100\n");
  // Against the live state after a change nobody stored yet is impossible to arrange (the
  // capture is continuous); live equals latest once the capture caught up.
  ASSERT_EQ(ns.Ip("route del 10.1.0.0/16 table 100"), 0);
  json::value gone =
      d.WaitForVersion("k", [&](const json::object& h) { return Int(h.at("version")) > latest; });
  ASSERT_TRUE(gone.is_object());
  r = d.Get("/v1/sources/k/diff?from=" + std::to_string(latest) + "&to=live&format=text");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("- 10.1.0.0/16 via 10.99.0.5 dev a0 table 100\n"), std::string::npos)
      << r.body;
  CliResult diff = d.Cli({"diff", "k", std::to_string(first), std::to_string(latest)});
  EXPECT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_NE(diff.out.find("+ 10.1.0.0/16 via 10.99.0.5 dev a0 table 100"), std::string::npos)
      << diff.out;
}

// The value of the sample `name{labels}` in a Prometheus text page (-1 when absent).
double Sample(const std::string& page, const std::string& series) {
  size_t at = page.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + series.size() + 2));
}

TEST_F(E2eViews, MetricsCountWhatHappened) {
  // One rollback, forced to empty table 100, for the rollback counter.
  HttpReply rb = d.Post("/v1/sources/k/rollbacks", "{\"to\":" + std::to_string(first) +
                                                       ",\"force\":true,\"reason\":\"metrics\"}");
  ASSERT_EQ(rb.status, 200) << rb.body;
  ASSERT_EQ(d.Get("/v1/sources/nope").status, 404);
  HttpReply m = d.Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["content-type"].rfind("text/plain", 0), 0u) << m.headers["content-type"];
  const std::string& p = m.body;
  json::value k = d.Latest("k");
  EXPECT_EQ(Sample(p, "netsnap_latest_version{source=\"k\"}"), Int(k.at("version")));
  EXPECT_EQ(Sample(p, "netsnap_records{source=\"k\"}"), Int(k.at("records")));
  EXPECT_EQ(Sample(p, "netsnap_records{source=\"r\"}"), 2);
  EXPECT_EQ(Sample(p, "netsnap_versions_total{source=\"r\"}"), 1);
  EXPECT_GT(Sample(p, "netsnap_store_disk_bytes"), 0);
  EXPECT_GE(Sample(p, "netsnap_capture_lag_seconds{source=\"k\"}"), 0);
  EXPECT_EQ(Sample(p, "netsnap_versions_stored{source=\"k\"}"), Int(k.at("version")));
  EXPECT_EQ(Sample(p, "netsnap_rollbacks_total{source=\"k\",outcome=\"applied\"}"), 1) << p;
  EXPECT_EQ(Sample(p,
                   "netsnap_http_requests_total{route=\"/v1/sources/{name}/rollbacks\","
                   "method=\"POST\",status=\"200\"}"),
            1)
      << p;
  EXPECT_EQ(Sample(p,
                   "netsnap_http_requests_total{route=\"unmatched\",method=\"GET\","
                   "status=\"404\"}"),
            1)
      << p;
  for (const char* family :
       {"# TYPE netsnap_http_request_duration_seconds histogram", "# TYPE netsnap_versions_stored",
        "# TYPE netsnap_commit_seconds histogram",
        "netsnap_notification_wakeups_total{source=\"k\"}"}) {
    EXPECT_NE(p.find(family), std::string::npos) << family << "\n" << p;
  }
}

}  // namespace
}  // namespace netsnap::e2e
