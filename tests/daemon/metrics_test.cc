// The Prometheus text format of core/metrics.h (docs/api.md, "Metrics"): values in their
// shortest round-trip form, HELP and TYPE before every family, an undescribed metric left out
// and reported; and the process_* metrics of core/process_metrics.h.
#include "core/metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include "core/process_metrics.h"

namespace netsnap {
namespace {

TEST(MetricsFormat, ValuesAreTheirShortestRoundTripForm) {
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(0.0005), "0.0005");
  EXPECT_EQ(FormatMetricValue(2.5), "2.5");
  EXPECT_EQ(FormatMetricValue(1), "1");
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(-3), "-3");
  EXPECT_EQ(FormatMetricValue(123456789), "123456789");
  EXPECT_EQ(FormatMetricValue(1764560000.25), "1764560000.25");
  EXPECT_EQ(FormatMetricValue(1e-05), "1e-05");
  EXPECT_EQ(FormatMetricValue(1e6), "1000000");
  EXPECT_EQ(FormatMetricValue(18446744073709551615.0), "18446744073709551616");
  EXPECT_EQ(FormatMetricValue(1e20), "1e+20");
  EXPECT_EQ(FormatMetricValue(-0.25), "-0.25");
  EXPECT_EQ(FormatMetricValue(0.1 + 0.2), "0.30000000000000004");  // not 0.3: that is another
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
  // Every finite double reads back as itself.
  std::mt19937_64 rng(17);
  for (int i = 0; i < 10000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    std::string s = FormatMetricValue(v);
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
  }
}

// The family a sample line belongs to (its histogram's name for _bucket, _sum and _count).
std::string Family(const std::string& line, const std::set<std::string>& typed) {
  std::string name = line.substr(0, line.find_first_of("{ "));
  for (std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (!typed.contains(name) && name.ends_with(suffix)) {
      return name.substr(0, name.size() - suffix.size());
    }
  }
  return name;
}

TEST(MetricsRender, EveryFamilyHasHelpAndTypeAndBucketsAreShort) {
  Metrics m;
  m.Describe("t_requests_total", "counter", "Requests.");
  m.Describe("t_seconds", "histogram", "Time taken.");
  m.Describe("t_up", "gauge", "Up.");
  m.Describe("t_live", "gauge", "Computed at scrape time.");
  m.Add("t_requests_total", {{"route", "/a"}});
  m.Add("t_requests_total", {{"route", "/b"}}, 2);
  m.Observe("t_seconds", {{"route", "/a"}}, 0.1);
  m.Observe("t_seconds", {}, 7);
  m.Set("t_up", {}, 1);
  std::string page = m.Render({{"t_live", {{"source", "k"}}, 0.25}});
  std::set<std::string> help, typed;
  std::istringstream in(page);
  int samples = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) {
      help.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(help.contains(name)) << line;
      typed.insert(name);
    } else {
      ++samples;
      EXPECT_TRUE(typed.contains(Family(line, typed))) << line << "\n" << page;
    }
  }
  EXPECT_EQ(typed, (std::set<std::string>{"t_live", "t_requests_total", "t_seconds", "t_up"}));
  EXPECT_EQ(samples, 2 + 2 * (14 + 3) + 1 + 1);
  EXPECT_NE(page.find("# TYPE t_seconds histogram\n"), std::string::npos);
  EXPECT_NE(page.find("t_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("t_seconds_bucket{le=\"0.0005\"} 0\n"), std::string::npos) << page;
  EXPECT_NE(page.find("t_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("t_seconds_sum{route=\"/a\"} 0.1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("t_live{source=\"k\"} 0.25\n"), std::string::npos) << page;
  EXPECT_EQ(page.find("00000000"), std::string::npos) << page;
  EXPECT_TRUE(m.Undescribed().empty());
}

TEST(MetricsRender, AnUndescribedOrMistypedMetricIsLeftOutAndReported) {
  Metrics m;
  m.Describe("t_ok_total", "counter", "Fine.");
  m.Describe("t_gauge", "gauge", "A gauge, observed as a histogram by mistake.");
  m.Add("t_ok_total");
  m.Add("t_secret_total");
  m.Observe("t_gauge", {}, 1);
  std::string page = m.Render({{"t_live_undescribed", {}, 1}});
  EXPECT_EQ(page, "# HELP t_ok_total Fine.\n# TYPE t_ok_total counter\nt_ok_total 1\n");
  EXPECT_EQ(m.Undescribed(),
            (std::vector<std::string>{"t_gauge", "t_live_undescribed", "t_secret_total"}));
}

TEST(MetricsRender, LiveSamplesReplaceKeptOnesAndTextIsEscaped) {
  Metrics m;
  m.Describe("t_v", "gauge", "Line one\nand a back\\slash \"quoted\".");
  m.Set("t_v", {{"l", "a\"b\\c\nd"}}, 1);
  m.Set("t_v", {{"l", "x"}}, 1);
  std::string page = m.Render({{"t_v", {{"l", "x"}}, 2}});
  EXPECT_EQ(page,
            "# HELP t_v Line one\\nand a back\\\\slash \"quoted\".\n# TYPE t_v gauge\n"
            "t_v{l=\"a\\\"b\\\\c\\nd\"} 1\nt_v{l=\"x\"} 2\n");
}

double Value(const std::vector<MetricSample>& samples, const std::string& name) {
  for (const MetricSample& s : samples) {
    if (s.name == name) return s.value;
  }
  return -1;
}

TEST(ProcessMetrics, AreReadFromProcAndDescribed) {
  std::vector<MetricSample> before = ProcessSamples();
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<MetricSample> after = ProcessSamples();
  close(fd);
  EXPECT_EQ(Value(after, "process_open_fds"), Value(before, "process_open_fds") + 1);
  EXPECT_GT(Value(before, "process_open_fds"), 2);  // stdin, stdout, stderr at least
  EXPECT_GT(Value(before, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(Value(before, "process_virtual_memory_bytes"),
            Value(before, "process_resident_memory_bytes"));
  EXPECT_GE(Value(before, "process_cpu_seconds_total"), 0);
  EXPECT_GT(Value(before, "process_max_fds"), 0);
  // Started before now, and within a day of it (a sanity range, not a deadline).
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(Value(before, "process_start_time_seconds"), now + 1);
  EXPECT_GT(Value(before, "process_start_time_seconds"), now - 86400);
  Metrics m;
  DescribeProcessMetrics(&m);
  std::string page = m.Render(before);
  EXPECT_TRUE(m.Undescribed().empty()) << page;
  EXPECT_NE(page.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos) << page;
}

}  // namespace
}  // namespace netsnap
