// What a person reads: ?format=text views of versions and diffs, the CLI's show and diff, and
// /metrics after real activity: every source counter from the start, and what moves them.
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
    first = StartKernelAndResolver(&d, ns.path(), &resolv);
    ASSERT_NE(first, 0);
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
       {"# TYPE netsnap_http_request_duration_seconds histogram",
        "# TYPE netsnap_latest_version gauge", "# TYPE netsnap_commit_seconds histogram",
        "netsnap_notification_wakeups_total{source=\"k\"}"}) {
    EXPECT_NE(p.find(family), std::string::npos) << family << "\n" << p;
  }
}

// api.md, "Metrics": each source's counters, typed and at their exact values from the start:
// a counter that appears only at its first increment hides that increase from rate().
TEST_F(E2eViews, EverySourceCounterIsThereFromTheStartWithItsValue) {
  // One read of the live state on request: timed in netsnap_capture_seconds. (The reads a
  // source makes itself, at start, every resync_s or after an overflow, are not timed there.)
  ASSERT_EQ(d.Post("/v1/sources/k/snapshots").status, 200);
  const std::string p = d.Get("/metrics").body;
  json::value k = d.Latest("k");
  // A fresh store: every version of "k" was stored since start.
  EXPECT_EQ(Sample(p, "netsnap_versions_total{source=\"k\"}"), Int(k.at("version"))) << p;
  EXPECT_EQ(Sample(p, "netsnap_records{source=\"k\"}"), Int(k.at("records")));
  EXPECT_EQ(Sample(p, "netsnap_records{source=\"r\"}"), 2);
  EXPECT_EQ(Sample(p, "netsnap_capture_seconds_count{source=\"k\"}"), 1) << p;
  EXPECT_GE(Sample(p, "netsnap_notification_wakeups_total{source=\"k\"}"), 1);
  for (const char* series : {
           "netsnap_capture_errors_total{source=\"k\"}",
           "netsnap_capture_errors_total{source=\"r\"}",
           "netsnap_commit_failures_total{source=\"k\"}",
           "netsnap_commit_failures_total{source=\"r\"}",
           "netsnap_netlink_overflows_total{source=\"k\"}",
           "netsnap_duplicate_keys_total{source=\"k\"}",
           "netsnap_inotify_overflows_total{source=\"r\"}",
           "netsnap_resolver_unchanged_rereads_total{source=\"r\"}",
       }) {
    EXPECT_EQ(Sample(p, series), 0) << series << "\n" << p;
  }
  // A counter only the other kind of source keeps is not shown for this one.
  EXPECT_EQ(Sample(p, "netsnap_netlink_overflows_total{source=\"r\"}"), -1);
  EXPECT_EQ(Sample(p, "netsnap_inotify_overflows_total{source=\"k\"}"), -1);
  for (const char* name :
       {"versions_total", "capture_errors_total", "commit_failures_total",
        "netlink_overflows_total", "notification_wakeups_total", "duplicate_keys_total",
        "inotify_overflows_total", "resolver_unchanged_rereads_total"}) {
    EXPECT_NE(p.find("\n# TYPE netsnap_" + std::string(name) + " counter\n"), std::string::npos)
        << name;
  }
  EXPECT_EQ(p.find(" untyped\n"), std::string::npos) << "every metric has a type:\n" << p;
}

// An inotify event after which the resolver files read the same is counted, and stores nothing.
TEST_F(E2eViews, AResolverReReadThatFindsNoChangeIsCounted) {
  json::value before = d.Latest("r");
  // Renamed over the file: one event, and never a half-written file to read.
  WriteFile(resolv + ".new", ReadFile(resolv));
  std::filesystem::rename(resolv + ".new", resolv);
  const std::string series = "netsnap_resolver_unchanged_rereads_total{source=\"r\"}";
  std::string p;
  EXPECT_TRUE(WaitFor([&] {
    p = d.Get("/metrics").body;
    return Sample(p, series) >= 1;
  })) << p;
  EXPECT_EQ(Sample(p, series), 1);
  EXPECT_EQ(Sample(p, "netsnap_versions_total{source=\"r\"}"), 1);
  EXPECT_EQ(d.Latest("r").at("version"), before.at("version"));
}

// configuration.md: an overflow of `rcvbuf` forces a full read, which brings back what the lost
// notifications said; /metrics counts the overflow, and the full read counts the routes that
// share a key (IPv4 routes appended with another next hop).
TEST(E2eCaptureCounters, ANotificationOverflowIsCountedAndHealedByAFullRead) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path(), "rcvbuf = 1024"));
  ASSERT_TRUE(d.Start());
  json::value first = d.WaitForVersion("k", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());
  int64_t base = Int(first.at("records"));
  ASSERT_EQ(ns.Ip("route add 10.5.0.0/16 via 10.99.0.5 dev a0 table 100"), 0);
  ASSERT_EQ(ns.Ip("route append 10.5.0.0/16 via 10.99.0.6 dev a0 table 100"), 0);
  constexpr int kRoutes = 3000;
  std::string batch = d.dir().Sub("routes.batch");
  std::string lines;
  for (int i = 0; i < kRoutes; ++i) {
    lines += "route add 10.7." + std::to_string(i >> 8) + "." + std::to_string(i & 255) +
             "/32 via 10.99.0.5 dev a0 table 100\n";
  }
  WriteFile(batch, lines);
  ASSERT_EQ(ns.IpBatch(batch), 0);
  // The appended route shares its key: one record for the two.
  EXPECT_TRUE(
      d.WaitForVersion(
           "k", [&](const json::object& h) { return Int(h.at("records")) == base + 1 + kRoutes; })
          .is_object())
      << d.Latest("k");
  std::string p = d.Get("/metrics").body;
  EXPECT_GE(Sample(p, "netsnap_netlink_overflows_total{source=\"k\"}"), 1) << p;
  EXPECT_GE(Sample(p, "netsnap_duplicate_keys_total{source=\"k\"}"), 1) << p;
}

// store.md, "Retention": the daemon runs a pass every `interval`; /metrics shows the passes,
// what they removed (nothing here: all is young), the store's size and the budget.
TEST(E2eRetention, PassesRunEveryIntervalAndAreShownInMetrics) {
  Snapshotd d;
  std::string resolv = d.dir().Sub("resolv.conf");
  WriteFile(resolv, "nameserver 127.0.0.1\n");
  d.Configure(ResolverSource("r", "resolv.conf", resolv) + "[retention]\ninterval = \"1s\"\n",
              "max_disk_bytes = 123456789");
  ASSERT_TRUE(d.Start());
  std::string p;
  ASSERT_TRUE(WaitFor([&] {
    p = d.Get("/metrics").body;
    return Sample(p, "netsnap_retention_runs_total") >= 2;
  })) << p;
  EXPECT_EQ(Sample(p, "netsnap_disk_budget_bytes"), 123456789);
  EXPECT_GT(Sample(p, "netsnap_store_disk_bytes"), 0) << p;
  EXPECT_GT(Sample(p, "netsnap_retention_last_run_timestamp_seconds"), 1.7e9) << p;
  for (const char* kind : {"versions", "events", "rollbacks", "idempotency"}) {
    EXPECT_EQ(Sample(p, "netsnap_retention_removed_total{kind=\"" + std::string(kind) + "\"}"), 0)
        << kind;
  }
}

}  // namespace
}  // namespace netsnap::e2e
