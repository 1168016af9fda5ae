// Counters, gauges and latency summaries, rendered in the Prometheus text format.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netsnap {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Declares a metric's type ("counter", "gauge", "histogram") and help line. Metrics used
  // without a declaration render as untyped.
  void Describe(std::string_view name, std::string_view type, std::string_view help);
  void Add(std::string_view name, const Labels& labels = {}, double v = 1);
  void Set(std::string_view name, const Labels& labels, double v);
  // Records one observation in seconds into a histogram with fixed latency buckets.
  void Observe(std::string_view name, const Labels& labels, double seconds);
  double Get(std::string_view name, const Labels& labels = {}) const;
  std::string Render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;
    uint64_t count = 0;
    double sum = 0;
  };
  static std::string Key(const Labels& labels);
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> help_;
  std::map<std::string, std::map<std::string, double>, std::less<>> values_;
  std::map<std::string, std::map<std::string, Histogram>, std::less<>> histograms_;
};

}  // namespace netsnap
