#include "core/metrics.h"

#include <cmath>
#include <cstdio>

namespace netsnap {

namespace {

constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};

std::string Escape(std::string_view v) {
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

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string Metrics::Key(const Labels& labels) {
  std::string k;
  for (const auto& [n, v] : labels) {
    if (!k.empty()) k += ",";
    k += n + "=\"" + Escape(v) + "\"";
  }
  return k;
}

void Metrics::Describe(std::string_view name, std::string_view type, std::string_view help) {
  std::lock_guard l(mu_);
  help_[std::string(name)] = {std::string(type), std::string(help)};
}

void Metrics::Add(std::string_view name, const Labels& labels, double v) {
  std::string k = Key(labels);
  std::lock_guard l(mu_);
  auto it = values_.find(name);
  if (it == values_.end()) it = values_.emplace(std::string(name), std::map<std::string, double>{}).first;
  it->second[k] += v;
}

void Metrics::Set(std::string_view name, const Labels& labels, double v) {
  std::string k = Key(labels);
  std::lock_guard l(mu_);
  auto it = values_.find(name);
  if (it == values_.end()) it = values_.emplace(std::string(name), std::map<std::string, double>{}).first;
  it->second[k] = v;
}

void Metrics::Observe(std::string_view name, const Labels& labels, double seconds) {
  std::string k = Key(labels);
  std::lock_guard l(mu_);
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
  std::lock_guard l(mu_);
  auto it = values_.find(name);
  if (it == values_.end()) return 0;
  auto v = it->second.find(k);
  return v == it->second.end() ? 0 : v->second;
}

std::string Metrics::Render() const {
  std::lock_guard l(mu_);
  std::string out;
  auto header = [&](const std::string& name, std::string_view fallback_type) {
    auto h = help_.find(name);
    if (h != help_.end()) {
      out += "# HELP " + name + " " + h->second.second + "\n";
      out += "# TYPE " + name + " " + h->second.first + "\n";
    } else {
      out += "# TYPE " + name + " " + std::string(fallback_type) + "\n";
    }
  };
  for (const auto& [name, series] : values_) {
    header(name, "untyped");
    for (const auto& [k, v] : series) {
      out += name + (k.empty() ? "" : "{" + k + "}") + " " + Num(v) + "\n";
    }
  }
  for (const auto& [name, series] : histograms_) {
    header(name, "histogram");
    for (const auto& [k, h] : series) {
      std::string sep = k.empty() ? "" : k + ",";
      for (size_t i = 0; i < h.buckets.size(); ++i) {
        out += name + "_bucket{" + sep + "le=\"" + Num(kBuckets[i]) + "\"} " +
               std::to_string(h.buckets[i]) + "\n";
      }
      out += name + "_bucket{" + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
      std::string lab = k.empty() ? "" : "{" + k + "}";
      out += name + "_sum" + lab + " " + Num(h.sum) + "\n";
      out += name + "_count" + lab + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

}  // namespace netsnap
