// Protected records: a record the policy protects was removed or changed. Protected are, by the
// records' facets, the default route of each family (protect_default_routes), routes whose
// destination one of protected_prefixes covers, every route of protected_tables, and resolver
// rules for protected_domains and their subdomains.
#include <algorithm>

#include "detect/detector.h"
#include "netsnap/record_kind.h"

namespace netsnap {

namespace {

bool IsProtected(const DetectPolicy& p, RecordRef rec) {
  const RecordFacets f = FacetsOf(rec);
  if (p.protect_default_routes && f.default_route) return true;
  if (f.table && std::find(p.protected_tables.begin(), p.protected_tables.end(), *f.table) !=
                     p.protected_tables.end()) {
    return true;
  }
  if (f.destination && std::any_of(p.protected_prefixes.begin(), p.protected_prefixes.end(),
                                   [&](const Prefix& x) { return x.Covers(*f.destination); })) {
    return true;
  }
  return f.domain && InDomains(*f.domain, p.protected_domains);
}

class ProtectedRecords : public Detector {
 public:
  void Inspect(const VersionCommitted& v, const DetectContext& ctx,
               std::vector<Finding>* out) override {
    Finding f = NewFinding("protected", v);
    std::vector<RecordRef> damaged;
    for (const Record& r : ctx.diff.removed) {
      if (!IsProtected(ctx.policy, r.ref())) continue;
      f.records.push_back({r.key, r.value, std::nullopt});
      damaged.push_back(r.ref());
    }
    for (const ChangedRecord& c : ctx.diff.changed) {
      if (!IsProtected(ctx.policy, {c.key, c.old_value})) continue;
      f.records.push_back({c.key, c.old_value, c.new_value});
      damaged.push_back({c.key, c.old_value});
    }
    if (f.records.empty()) return;
    f.restore_keys = RestoreKeysFor(damaged);
    f.summary = std::to_string(f.records.size()) + " protected record" +
                (f.records.size() == 1 ? "" : "s") + " removed or changed";
    out->push_back(std::move(f));
  }
};

}  // namespace

std::unique_ptr<Detector> NewProtectedRecordsDetector() {
  return std::make_unique<ProtectedRecords>();
}

}  // namespace netsnap
