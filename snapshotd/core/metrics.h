// Counters, gauges and latency histograms, rendered in the Prometheus text format (0.0.4).
//
// Every metric is declared once with Describe (its type and help line) before it is rendered:
// Render leaves out a metric nobody described and logs its name once as a defect, since an
// untyped series without help misleads whoever alerts on it (docs/api.md, "Metrics").
//
// Values that mirror the daemon's state (is a source up, how many rollbacks await
// confirmation) are not kept here: the scrape computes them and hands them to Render as
// samples, so that they are never stale copies.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/mutex.h"

namespace netsnap {

using Labels = std::vector<std::pair<std::string, std::string>>;

// One value computed at scrape time (a gauge or a counter read from elsewhere).
struct MetricSample {
  std::string name;
  Labels labels;
  double value = 0;
};

class Metrics {
 public:
  // Declares a metric's type ("counter", "gauge" or "histogram") and help line.
  void Describe(std::string_view name, std::string_view type, std::string_view help);
  void Add(std::string_view name, const Labels& labels = {}, double v = 1);
  void Set(std::string_view name, const Labels& labels, double v);
  // Records one observation in seconds into a histogram with fixed latency buckets.
  void Observe(std::string_view name, const Labels& labels, double seconds);
  double Get(std::string_view name, const Labels& labels = {}) const;
  // Every described metric, and the `live` samples (described too), sorted by name; each
  // family with its HELP and TYPE lines.
  std::string Render(const std::vector<MetricSample>& live = {}) const;
  // Names used (kept or live at the last Render) that have no Describe, or whose kept kind
  // contradicts the described type; they are not rendered.
  std::vector<std::string> Undescribed() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;
    uint64_t count = 0;
    double sum = 0;
  };
  using Series = std::map<std::string, double>;  // by rendered label set
  static std::string Key(const Labels& labels);
  // Whether `name` may render as `kind` ("value" or "histogram"); logs a defect once if not.
  bool RenderableLocked(const std::string& name, std::string_view kind) const REQUIRES(mu_);

  mutable Mutex mu_;
  // Type and help line, by name.
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> help_ GUARDED_BY(mu_);
  std::map<std::string, Series, std::less<>> values_ GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, Histogram>, std::less<>> histograms_ GUARDED_BY(mu_);
  mutable std::set<std::string> defects_ GUARDED_BY(mu_);  // names left out of Render
};

// The shortest text that reads back as exactly `v`: a plain decimal from 1e-4 to 1e15 ("0.1",
// "0.0005", "1764560000.25"), else the shortest form ("1e-05", "1e+20"); "+Inf", "-Inf" and
// "NaN" as the text format spells them.
std::string FormatMetricValue(double v);

}  // namespace netsnap
