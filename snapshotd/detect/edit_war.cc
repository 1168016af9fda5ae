// Edit wars: the same record flipping back and forth between two values (absence counts as a
// value) edit_war_flips times within edit_war_window_s, through changes the daemon did not
// make. Reported, never restored: which side is right is for a person to decide. Versions that
// change more than kMaxTracked records are not tracked (a mass change is not a war).
#include <fmt/format.h>

#include <unordered_map>

#include "detect/detector.h"

namespace netsnap {

namespace {

constexpr size_t kMaxTracked = 10000;
constexpr size_t kPruneAbove = 100000;

// A record's value as a small fingerprint; 0 stands for "absent".
uint64_t Fingerprint(std::string_view key, const std::optional<std::string>& value) {
  if (!value) return 0;
  uint64_t h = ContentHash::Of(key, *value).lo;
  return h ? h : 1;
}

class EditWar : public Detector {
 public:
  void Inspect(const VersionCommitted& v, const DetectContext& ctx,
               std::vector<Finding>* out) override {
    const Diff& d = ctx.diff;
    if (d.added.size() + d.removed.size() + d.changed.size() > kMaxTracked) return;
    int64_t window = static_cast<int64_t>(ctx.policy.edit_war_window_s * 1e9);
    Finding f = NewFinding("edit_war", v);
    int most = 0;
    auto track = [&](const std::string& key, std::optional<std::string> before,
                     std::optional<std::string> after) {
      uint64_t from = Fingerprint(key, before), to = Fingerprint(key, after);
      History& h = history_[key];
      bool continues = h.flips > 0 && h.last == from && ctx.now_ns - h.first_ns <= window &&
                       ((h.a == from && h.b == to) || (h.a == to && h.b == from));
      if (!continues) h = History{from, to, to, ctx.now_ns, 0, false};
      h.last = to;
      ++h.flips;
      if (h.flips >= ctx.policy.edit_war_flips && !h.reported) {
        h.reported = true;
        most = std::max(most, h.flips);
        f.records.push_back({key, std::move(before), std::move(after)});
      }
    };
    for (const Record& r : d.added) track(r.key, std::nullopt, r.value);
    for (const Record& r : d.removed) track(r.key, r.value, std::nullopt);
    for (const ChangedRecord& c : d.changed) track(c.key, c.old_value, c.new_value);
    if (history_.size() > kPruneAbove) Prune(ctx.now_ns - window);
    if (f.records.empty()) return;
    f.summary = fmt::format("{} record{} flipped between two values {} times within {:g} s",
                            f.records.size(), f.records.size() == 1 ? "" : "s", most,
                            ctx.policy.edit_war_window_s);
    f.details["flips"] = most;
    out->push_back(std::move(f));
  }

  void Reset() override { history_.clear(); }

 private:
  struct History {
    uint64_t a = 0, b = 0;  // the two values
    uint64_t last = 0;      // the value now
    int64_t first_ns = 0;   // when the alternation began
    int flips = 0;
    bool reported = false;
  };

  void Prune(int64_t older_than_ns) {
    std::erase_if(history_, [&](const auto& kv) { return kv.second.first_ns < older_than_ns; });
  }

  std::unordered_map<std::string, History> history_;
};

}  // namespace

std::unique_ptr<Detector> NewEditWarDetector() { return std::make_unique<EditWar>(); }

}  // namespace netsnap
