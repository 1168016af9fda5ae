// /metrics of the real snapshotd as a monitoring system sees it (docs/api.md, "Metrics";
// configuration.md, "Metrics listener"): a scrape that `promtool check metrics` accepts without
// a remark, the state gauges at their values while a rollback awaits confirmation and detection
// is paused, and the second listener that serves only /metrics and /v1/health.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>
#include <sstream>

#include "dnsmasq.h"  // FreePort
#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

struct Promtool {
  int exit_code = -1;
  std::string output;  // stdout and stderr: its remarks
};

// Runs `promtool check metrics` (Debian package `prometheus`) on `page`.
Promtool CheckMetrics(const Snapshotd& d, const std::string& page) {
  std::string file = d.dir().Sub("scrape.prom");
  WriteFile(file, page);
  Promtool r;
  FILE* p = popen(("promtool check metrics < " + file + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The value of the sample line that starts with `series` (name and labels), or -1.
double Sample(const std::string& page, const std::string& series) {
  size_t at = page.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + series.size() + 2));
}

// What promtool does not check: every family has HELP and TYPE (none untyped), counters end in
// _total, no bucket bound is a long decimal expansion ("0.10000000000000001"). Returns the
// problems, one a line.
std::string Conventions(const std::string& page) {
  std::string problems;
  std::set<std::string> help, typed;
  std::istringstream in(page);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string hash, kind, name, type;
    if (line.rfind("# HELP ", 0) == 0) {
      words >> hash >> kind >> name;
      help.insert(name);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      words >> hash >> kind >> name >> type;
      typed.insert(name);
      if (!help.contains(name)) problems += name + ": TYPE without HELP before it\n";
      if (type == "counter" && !name.ends_with("_total")) problems += name + ": a counter\n";
      if (type != "counter" && type != "gauge" && type != "histogram") {
        problems += name + ": type " + type + "\n";
      }
      continue;
    }
    std::string family = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!typed.contains(family) && family.ends_with(suffix)) {
        family.resize(family.size() - std::string(suffix).size());
      }
    }
    if (!typed.contains(family)) problems += line + ": no TYPE\n";
    size_t le = line.find("le=\"");
    if (le != std::string::npos && line.find('"', le + 4) - le > 12) {
      problems += line + ": a long bucket bound\n";
    }
  }
  return problems;
}

// One raw request with the given Host header (the harness's client always names 127.0.0.1).
int StatusWithHost(uint16_t port, const std::string& host, const std::string& target) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) close(fd);
    return 0;
  }
  std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  ssize_t w = write(fd, req.data(), req.size());
  char buf[64] = {};
  ssize_t n = w > 0 ? read(fd, buf, sizeof buf - 1) : 0;
  close(fd);
  int status = 0;
  return n > 12 && std::sscanf(buf, "HTTP/1.1 %d", &status) == 1 ? status : 0;
}

class E2eMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(d.dir().Sub("etc"));
    resolv = d.dir().Sub("etc/resolv.conf");
    WriteFile(resolv, "nameserver 127.0.0.1\n");
    metrics_port = netsnap::testing::FreePort();
    d.Configure(KernelSource("k", ns.path()) + ResolverSource("r", "resolv.conf", resolv),
                "metrics_listen = \"127.0.0.1:" + std::to_string(metrics_port) + "\"");
    ASSERT_TRUE(d.Start());
    json::value v = d.WaitForVersion("k", [](const json::object&) { return true; });
    ASSERT_TRUE(v.is_object());
    first = v.at("version").to_number<int64_t>();
  }

  NetNs ns;
  Snapshotd d;
  std::string resolv;
  uint16_t metrics_port = 0;
  int64_t first = 0;
};

TEST_F(E2eMetrics, AScrapePassesPromtoolAndShowsTheDaemonsState) {
  // Detection of k paused, and a rollback of k applied that awaits confirmation.
  ASSERT_EQ(d.Post("/v1/sources/k/pause", R"({"reason":"metrics"})").status, 200);
  ASSERT_EQ(ns.Ip("route add 10.1.0.0/16 via 10.99.0.5 dev a0 table 100"), 0);
  ASSERT_TRUE(d.WaitForVersion("k", [&](const json::object& h) {
                 return h.at("version").to_number<int64_t>() > first;
               }).is_object());
  HttpReply rb = d.Post("/v1/sources/k/rollbacks",
                        "{\"to\":" + std::to_string(first) +
                            ",\"force\":true,\"reason\":\"metrics\",\"confirm_within_s\":600}");
  ASSERT_EQ(rb.status, 200) << rb.body;
  ASSERT_EQ(rb.Json().at("state"), "awaiting_confirmation") << rb.body;

  HttpReply m = d.Get("/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  std::string p = m.body;
  Promtool check = CheckMetrics(d, p);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << p;
  EXPECT_EQ(check.output, "") << p;
  EXPECT_EQ(Conventions(p), "") << p;
  EXPECT_EQ(d.Log().find("left out of /metrics"), std::string::npos) << d.Log();

  EXPECT_EQ(Sample(p, "netsnap_source_up{source=\"k\"}"), 1) << p;
  EXPECT_EQ(Sample(p, "netsnap_source_up{source=\"r\"}"), 1) << p;
  EXPECT_EQ(Sample(p, "netsnap_detection_paused{source=\"k\"}"), 1) << p;
  EXPECT_EQ(Sample(p, "netsnap_detection_paused{source=\"r\"}"), 0) << p;
  EXPECT_EQ(Sample(p, "netsnap_rollbacks_awaiting_confirmation"), 1) << p;
  EXPECT_EQ(Sample(p, "netsnap_rollbacks_total{source=\"k\",outcome=\"awaiting_confirmation\"}"), 1)
      << p;
  // Wall-clock times: within an hour of this test's clock (a sanity range, not a deadline).
  const double now = static_cast<double>(std::time(nullptr));
  for (const char* series :
       {"netsnap_last_capture_timestamp_seconds{source=\"k\"}",
        "netsnap_last_capture_timestamp_seconds{source=\"r\"}", "process_start_time_seconds"}) {
    EXPECT_GT(Sample(p, series), now - 3600) << series << "\n" << p;
    EXPECT_LT(Sample(p, series), now + 3600) << series << "\n" << p;
  }
  json::value k = d.Latest("k");
  EXPECT_EQ(Sample(p, "netsnap_latest_version{source=\"k\"}"), k.at("version").to_number<double>());
  EXPECT_EQ(Sample(p, "netsnap_records{source=\"k\"}"), k.at("records").to_number<double>());
  EXPECT_EQ(Sample(p, "netsnap_records{source=\"r\"}"), 2) << p;
  EXPECT_NE(p.find("\nnetsnap_build_info{version=\""), std::string::npos) << p;
  EXPECT_NE(p.find("\"} 1\n", p.find("\nnetsnap_build_info{")), std::string::npos) << p;
  EXPECT_GT(Sample(p, "process_open_fds"), 0) << p;
  EXPECT_GT(Sample(p, "process_resident_memory_bytes"), 0) << p;
  EXPECT_GT(Sample(p, "process_max_fds"), 0) << p;
  EXPECT_GE(Sample(p, "process_cpu_seconds_total"), 0) << p;
  EXPECT_GT(Sample(p, "netsnap_store_disk_bytes"), 0) << p;
  // Histogram buckets in their shortest form.
  EXPECT_NE(p.find("le=\"0.1\""), std::string::npos) << p;
  // Facts shown once: the old duplicates are gone.
  for (const char* gone :
       {"netsnap_versions_stored", "netsnap_source_records", "netsnap_disk_bytes "}) {
    EXPECT_EQ(p.find(gone), std::string::npos) << gone;
  }

  // Confirmed and resumed: the gauges follow the state at the next scrape.
  std::string id = std::string(rb.Json().at("id").as_string());
  ASSERT_EQ(d.Post("/v1/rollbacks/" + id + "/confirm").status, 200);
  ASSERT_EQ(d.Post("/v1/sources/k/resume").status, 200);
  p = d.Get("/metrics").body;
  EXPECT_EQ(Sample(p, "netsnap_rollbacks_awaiting_confirmation"), 0) << p;
  EXPECT_EQ(Sample(p, "netsnap_detection_paused{source=\"k\"}"), 0) << p;
}

TEST_F(E2eMetrics, TheMetricsListenerServesOnlyMetricsAndHealthWithoutAToken) {
  HttpReply m = HttpRequest(metrics_port, "GET", "/metrics", "");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.headers["content-type"].rfind("text/plain; version=0.0.4", 0), 0u);
  Promtool check = CheckMetrics(d, m.body);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "") << m.body;
  EXPECT_EQ(Sample(m.body, "netsnap_source_up{source=\"k\"}"), 1) << m.body;
  EXPECT_EQ(HttpRequest(metrics_port, "GET", "/v1/health", "").Json().at("status"), "ok");
  // The main API still wants a token for /metrics (it has a token file).
  EXPECT_EQ(HttpRequest(d.port(), "GET", "/metrics", "").status, 401);
  // Nothing else: not even with the operator's token.
  for (const char* target : {"/v1/sources", "/v1/sources/k/versions", "/v1/events"}) {
    HttpReply r = HttpRequest(metrics_port, "GET", target, kOperatorToken);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.ErrorCode(), "not_found") << r.body;
  }
  HttpReply pause = HttpRequest(metrics_port, "POST", "/v1/sources/k/pause", kOperatorToken, "{}");
  EXPECT_EQ(pause.status, 404) << pause.body;
  EXPECT_EQ(d.GetJson("/v1/sources/k/policy").at("state").at("paused"), false);
  // The API's guard against DNS rebinding: a Host that is not this listener is refused.
  EXPECT_EQ(StatusWithHost(metrics_port, "attacker.example", "/metrics"), 421);
  EXPECT_EQ(StatusWithHost(metrics_port, "localhost:" + std::to_string(metrics_port), "/metrics"),
            200);
}

TEST(E2eMetricsConfig, ABadMetricsListenStopsStartUpAndCheckConfig) {
  NetNs ns;
  Snapshotd d;
  // The harness's [daemon] table has 5 lines; extra lines start on line 6.
  d.Configure(KernelSource("k", ns.path()), "metrics_listen = \"somewhere:9470\"");
  EXPECT_EQ(d.StartExpectingExit({"--check-config"}), 2);
  EXPECT_NE(d.Log().find(d.config_path() + ":6: [daemon] metrics_listen: listen address "
                                           "'somewhere:9470': not a numeric IPv4 or IPv6 address"),
            std::string::npos)
      << d.Log();
  d.Configure(KernelSource("k", ns.path()),
              "metrics_listen = \"127.0.0.1:" + std::to_string(d.port()) + "\"");
  EXPECT_EQ(d.StartExpectingExit(), 2);
  EXPECT_NE(d.Log().find(":6: [daemon] metrics_listen: must differ from listen"), std::string::npos)
      << d.Log();
}

}  // namespace
}  // namespace netsnap::e2e
