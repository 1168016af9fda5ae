// Mass deletion: within mass_window_s, a table emptied, or at least mass_min_records routes
// and mass_share of a table removed (share = removed / (removed + still there)); or, when
// mass_max_records is set, more than that many records of any kind removed from the source.
// Removals add up over the versions in the window (records still missing count, each once);
// each removed record is reported once.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <string_view>
#include <vector>

#include "detect/detector.h"

namespace netsnap {

namespace {

// The number of distinct keys in *keys (which it sorts).
uint64_t CountDistinct(std::vector<std::string_view>* keys) {
  std::sort(keys->begin(), keys->end());
  return static_cast<uint64_t>(std::unique(keys->begin(), keys->end()) - keys->begin());
}

struct Removal {
  DamagedRecord record;
  bool reported = false;
};

// The removals of one version.
struct Slice {
  int64_t time_ns = 0;
  uint64_t before_version = 0;
  std::map<uint32_t, std::vector<Removal>> routes;  // by table
  std::vector<Removal> others;                      // records that are not routes
};

class MassDeletion : public Detector {
 public:
  void Inspect(const VersionCommitted& v, const DetectContext& ctx,
               std::vector<Finding>* out) override {
    const DetectPolicy& p = ctx.policy;
    int64_t window = static_cast<int64_t>(p.mass_window_s * 1e9);
    while (!window_.empty() && window_.front().time_ns < ctx.now_ns - window) window_.pop_front();
    if (ctx.diff.removed.empty()) return;
    Slice s;
    s.time_ns = ctx.now_ns;
    s.before_version = v.previous.version;
    for (const Record& r : ctx.diff.removed) {
      uint32_t table;
      Removal rm{{r.key, r.value, std::nullopt}};
      if (RouteTable(r.ref(), &table))
        s.routes[table].push_back(std::move(rm));
      else
        s.others.push_back(std::move(rm));
    }
    window_.push_back(std::move(s));
    for (const auto& [table, removals] : window_.back().routes) CheckTable(v, ctx, table, out);
    if (p.mass_max_records > 0) CheckSource(v, ctx, out);
  }

  void Reset() override { window_.clear(); }

 private:
  void CheckTable(const VersionCommitted& v, const DetectContext& ctx, uint32_t table,
                  std::vector<Finding>* out) {
    const DetectPolicy& p = ctx.policy;
    // Records removed in the window and still missing: one removed, put back (a restore) and
    // removed again counts once.
    std::vector<std::string_view> missing;
    for (const Slice& s : window_) {
      auto it = s.routes.find(table);
      if (it == s.routes.end()) continue;
      for (const Removal& r : it->second) {
        if (!v.after.Find(r.record.key)) missing.push_back(r.record.key);
      }
    }
    uint64_t removed = CountDistinct(&missing);
    uint64_t left = ctx.view.RoutesAfter(table);
    double share = static_cast<double>(removed) / static_cast<double>(removed + left);
    bool emptied = left == 0;
    if (!emptied && (removed < p.mass_min_records || share < p.mass_share)) return;
    Finding f = NewFinding("mass_deletion", v);
    for (Slice& s : window_) {
      auto it = s.routes.find(table);
      if (it == s.routes.end()) continue;
      bool any = false;
      for (Removal& r : it->second) {
        if (r.reported) continue;
        r.reported = any = true;
        f.restore_keys.push_back(r.record.key);
        f.records.push_back(r.record);
      }
      if (any) f.before_version = std::min(f.before_version, s.before_version);
    }
    if (f.records.empty()) return;
    SortUnique(&f.restore_keys);
    f.summary = (emptied ? "table " + TableName(table) + " emptied: "
                         : "table " + TableName(table) + ": ") +
                std::to_string(removed) + " of " + std::to_string(removed + left) +
                " routes removed within " + fmt::format("{:g}", p.mass_window_s) + " s";
    f.details["table"] = TableName(table);
    f.details["removed_in_window"] = removed;
    f.details["share"] = share;
    f.details["emptied"] = emptied;
    out->push_back(std::move(f));
  }

  void CheckSource(const VersionCommitted& v, const DetectContext& ctx, std::vector<Finding>* out) {
    std::vector<std::string_view> missing;
    auto count = [&](const std::vector<Removal>& list) {
      for (const Removal& r : list) {
        if (!v.after.Find(r.record.key)) missing.push_back(r.record.key);
      }
    };
    for (const Slice& s : window_) {
      count(s.others);
      for (const auto& [t, r] : s.routes) count(r);
    }
    uint64_t removed = CountDistinct(&missing);
    if (removed <= ctx.policy.mass_max_records) return;
    Finding f = NewFinding("mass_deletion", v);
    auto take = [&](Slice& s, std::vector<Removal>& list) {
      for (Removal& r : list) {
        if (r.reported) continue;
        r.reported = true;
        f.restore_keys.push_back(r.record.key);
        f.records.push_back(r.record);
        f.before_version = std::min(f.before_version, s.before_version);
      }
    };
    for (Slice& s : window_) {
      take(s, s.others);
      for (auto& [t, r] : s.routes) take(s, r);
    }
    if (f.records.empty()) return;
    std::vector<RecordRef> refs;
    for (const DamagedRecord& r : f.records) refs.push_back({r.key, *r.before});
    f.restore_keys = RestoreKeysFor(refs);
    f.summary = std::to_string(removed) + " records removed within " +
                fmt::format("{:g}", ctx.policy.mass_window_s) + " s (limit " +
                std::to_string(ctx.policy.mass_max_records) + ")";
    f.details["removed_in_window"] = removed;
    out->push_back(std::move(f));
  }

  std::deque<Slice> window_;
};

}  // namespace

std::unique_ptr<Detector> NewMassDeletionDetector() { return std::make_unique<MassDeletion>(); }

}  // namespace netsnap
