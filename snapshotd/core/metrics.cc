#include "core/metrics.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <iterator>

namespace netsnap {

namespace {

constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};

// A label value: backslash, double quote and line feed escaped.
std::string EscapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// A help line: backslash and line feed escaped (a quote stays as it is there).
std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Plain decimals from 1e-4 to 1e15 (bucket bounds, byte counts, timestamps: "0.0005", not
  // "5e-04"); beyond, the shorter of the two forms. Both are the shortest that round-trip.
  const double a = std::fabs(v);
  const bool plain = a == 0 || (a >= 1e-4 && a < 1e15);
  char buf[64];  // a fixed form in that range has at most 40 characters
  auto [end, ec] = plain ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

std::string Metrics::Key(const Labels& labels) {
  std::string k;
  for (const auto& [n, v] : labels) {
    if (!k.empty()) k += ",";
    k += n + "=\"" + EscapeLabel(v) + "\"";
  }
  return k;
}

void Metrics::Describe(std::string_view name, std::string_view type, std::string_view help) {
  MutexLock l(&mu_);
  help_[std::string(name)] = {std::string(type), std::string(help)};
}

void Metrics::Add(std::string_view name, const Labels& labels, double v) {
  std::string k = Key(labels);
  MutexLock l(&mu_);
  auto it = values_.find(name);
  if (it == values_.end()) it = values_.emplace(std::string(name), Series{}).first;
  it->second[k] += v;
}

void Metrics::Set(std::string_view name, const Labels& labels, double v) {
  std::string k = Key(labels);
  MutexLock l(&mu_);
  auto it = values_.find(name);
  if (it == values_.end()) it = values_.emplace(std::string(name), Series{}).first;
  it->second[k] = v;
}

void Metrics::Observe(std::string_view name, const Labels& labels, double seconds) {
  std::string k = Key(labels);
  MutexLock l(&mu_);
  auto it = histograms_.find(name);
  if (it == histograms_.end()) {
    it = histograms_.emplace(std::string(name), std::map<std::string, Histogram>{}).first;
  }
  Histogram& h = it->second[k];
  if (h.buckets.empty()) h.buckets.resize(std::size(kBuckets));
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

double Metrics::Get(std::string_view name, const Labels& labels) const {
  std::string k = Key(labels);
  MutexLock l(&mu_);
  auto it = values_.find(name);
  if (it == values_.end()) return 0;
  auto v = it->second.find(k);
  return v == it->second.end() ? 0 : v->second;
}

bool Metrics::RenderableLocked(const std::string& name, std::string_view kind) const {
  auto h = help_.find(name);
  std::string why;
  if (h == help_.end()) {
    why = "has no Describe()";
  } else if ((kind == "histogram") != (h->second.first == "histogram") ||
             (kind != "histogram" && h->second.first != "counter" && h->second.first != "gauge")) {
    why = "is described as '" + h->second.first + "' but kept as a " + std::string(kind);
  }
  if (why.empty()) return true;
  if (defects_.insert(name).second) {
    spdlog::error("metrics: {} {}; it is left out of /metrics (a defect: describe it)", name, why);
  }
  return false;
}

std::string Metrics::Render(const std::vector<MetricSample>& live) const {
  std::map<std::string, Series, std::less<>> computed;
  for (const MetricSample& s : live) computed[s.name][Key(s.labels)] = s.value;
  MutexLock l(&mu_);
  std::set<std::string> names;
  for (const auto& [n, s] : values_) names.insert(n);
  for (const auto& [n, s] : computed) names.insert(n);
  for (const auto& [n, h] : histograms_) names.insert(n);
  std::string out;
  for (const std::string& name : names) {
    auto kept = values_.find(name);
    auto now = computed.find(name);
    auto hist = histograms_.find(name);
    bool values =
        (kept != values_.end() || now != computed.end()) && RenderableLocked(name, "value");
    bool histogram = hist != histograms_.end() && RenderableLocked(name, "histogram");
    if (!values && !histogram) continue;
    const auto& [type, help] = help_.find(name)->second;
    out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    if (values) {
      Series series = kept != values_.end() ? kept->second : Series{};
      if (now != computed.end()) {
        for (const auto& [k, v] : now->second) series[k] = v;
      }
      for (const auto& [k, v] : series) {
        out += name + (k.empty() ? "" : "{" + k + "}") + " " + FormatMetricValue(v) + "\n";
      }
    }
    if (!histogram) continue;
    for (const auto& [k, h] : hist->second) {
      std::string sep = k.empty() ? "" : k + ",";
      for (size_t i = 0; i < h.buckets.size(); ++i) {
        out += name + "_bucket{" + sep + "le=\"" + FormatMetricValue(kBuckets[i]) + "\"} " +
               std::to_string(h.buckets[i]) + "\n";
      }
      out += name + "_bucket{" + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
      std::string lab = k.empty() ? "" : "{" + k + "}";
      out += name + "_sum" + lab + " " + FormatMetricValue(h.sum) + "\n";
      out += name + "_count" + lab + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

std::vector<std::string> Metrics::Undescribed() const {
  MutexLock l(&mu_);
  return {defects_.begin(), defects_.end()};
}

}  // namespace netsnap
