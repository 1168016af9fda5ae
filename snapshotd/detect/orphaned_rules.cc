// Orphaned rules: a version emptied a routing table that a record still sends lookups to (its
// lookup_table facet: a policy rule whose action is "lookup"). The restore puts back the routes
// the version removed from that table.
#include <set>

#include "detect/detector.h"
#include "netsnap/record_kind.h"
#include "netsnap/route.h"

namespace netsnap {

namespace {

class OrphanedRules : public Detector {
 public:
  void Inspect(const VersionCommitted& v, const DetectContext& ctx,
               std::vector<Finding>* out) override {
    std::set<uint32_t> emptied;
    for (const auto& [table, n] : ctx.view.routes_before()) {
      if (n > 0 && ctx.view.RoutesAfter(table) == 0) emptied.insert(table);
    }
    if (emptied.empty()) return;
    Finding f = NewFinding("orphaned_rule", v);
    std::set<uint32_t> orphaned;
    for (const RecordKindOps* kind : AllRecordKinds()) {
      // Records in tables (routes) are what a table holds, not what points to one: skipping
      // them keeps this from decoding every route of a large table.
      if (kind->table_of_key || !kind->facets) continue;
      for (size_t i = v.after.LowerBound(KindKeyPrefix(kind->kind)); i < v.after.size(); ++i) {
        RecordRef r = v.after.at(i);
        if (KindOfKey(r.key) != kind->kind) break;
        std::optional<uint32_t> table = FacetsOf(r).lookup_table;
        if (!table || !emptied.count(*table)) continue;
        orphaned.insert(*table);
        f.records.push_back({std::string(r.key), std::string(r.value), std::string(r.value)});
      }
    }
    if (orphaned.empty()) return;
    for (const Record& r : ctx.diff.removed) {
      uint32_t table;
      if (RouteTable(r.ref(), &table) && orphaned.count(table)) {
        f.records.push_back({r.key, r.value, std::nullopt});
        f.restore_keys.push_back(r.key);
      }
    }
    SortUnique(&f.restore_keys);
    boost::json::array tables;
    std::string names;
    for (uint32_t t : orphaned) {
      tables.emplace_back(TableName(t));
      names += (names.empty() ? "" : ", ") + TableName(t);
    }
    f.summary = "policy rules point to emptied table" +
                std::string(orphaned.size() > 1 ? "s " : " ") + names;
    f.details["tables"] = std::move(tables);
    out->push_back(std::move(f));
  }
};

}  // namespace

std::unique_ptr<Detector> NewOrphanedRulesDetector() { return std::make_unique<OrphanedRules>(); }

}  // namespace netsnap
