// Overwrite: a record kept its key but got another value that matters — a route to another
// gateway, device or next-hop object, of another type, or now owned by another routing
// protocol; a rule that points elsewhere; a next-hop object changed; a resolver rule or setting
// pointed elsewhere; a resolver file rewritten. Changes of state the kernel keeps by itself (a
// route's flags such as linkdown) are not overwrites.
#include "detect/detector.h"
#include "netsnap/record_kind.h"

namespace netsnap {

namespace {

// Why the change from `before` to `after` is an overwrite (the kind says what matters), or ""
// when it is not one; a kind unknown to the table is never one.
std::string Reason(std::string_view key, std::string_view before, std::string_view after) {
  const RecordKindOps* kind = KindOpsOf(key);
  return kind ? kind->describe_change(key, before, after) : "";
}

class Overwrite : public Detector {
 public:
  void Inspect(const VersionCommitted& v, const DetectContext& ctx,
               std::vector<Finding>* out) override {
    Finding f = NewFinding("overwrite", v);
    std::vector<RecordRef> damaged;
    boost::json::object reasons;
    for (const ChangedRecord& c : ctx.diff.changed) {
      std::string why = Reason(c.key, c.old_value, c.new_value);
      if (why.empty()) continue;
      f.records.push_back({c.key, c.old_value, c.new_value});
      damaged.push_back({c.key, c.old_value});
      if (auto* n = reasons.if_contains(why))
        n->as_int64() += 1;
      else
        reasons[why] = 1;
    }
    if (f.records.empty()) return;
    f.restore_keys = RestoreKeysFor(damaged);
    std::string writer = v.current.actor.known() ? v.current.actor.process + " (pid " +
                                                       std::to_string(v.current.actor.pid) + ")"
                                                 : "an unknown writer";
    f.summary = std::to_string(f.records.size()) + " record" + (f.records.size() == 1 ? "" : "s") +
                " overwritten by " + writer;
    f.details["reasons"] = std::move(reasons);
    out->push_back(std::move(f));
  }
};

}  // namespace

std::unique_ptr<Detector> NewOverwriteDetector() { return std::make_unique<Overwrite>(); }

}  // namespace netsnap
