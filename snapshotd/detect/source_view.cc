#include "detect/source_view.h"

#include "detect/finding.h"
#include "netsnap/record_kind.h"

namespace netsnap {

bool RouteTable(RecordRef rec, uint32_t* table) { return TableOfKey(rec.key, table); }

std::vector<std::string> RestoreKeysFor(const std::vector<RecordRef>& damaged) {
  std::vector<std::string> keys;
  for (RecordRef r : damaged) {
    keys.emplace_back(r.key);
    std::string origin = OriginKeyOf(r);
    if (!origin.empty()) keys.push_back(std::move(origin));
  }
  SortUnique(&keys);
  return keys;
}

void SourceView::Count(const Snapshot& snap, std::map<uint32_t, uint64_t>* out) {
  out->clear();
  // Only the kinds in tables: each is one range of keys.
  for (const RecordKindOps* kind : AllRecordKinds()) {
    if (!kind->table_of_key) continue;
    for (size_t i = snap.LowerBound(KindKeyPrefix(kind->kind)); i < snap.size(); ++i) {
      RecordRef r = snap.at(i);
      if (KindOfKey(r.key) != kind->kind) break;
      uint32_t table;
      if (kind->table_of_key(r.key, &table)) ++(*out)[table];
    }
  }
}

void SourceView::Advance(const Snapshot& before, const Snapshot& after, const Diff& diff) {
  if (!valid_ || !(hash_ == before.hash())) Count(before, &after_);
  before_ = after_;
  uint32_t table;
  for (const Record& r : diff.removed) {
    if (RouteTable(r.ref(), &table) && after_[table] > 0 && --after_[table] == 0) {
      after_.erase(table);
    }
  }
  for (const Record& r : diff.added) {
    if (RouteTable(r.ref(), &table)) ++after_[table];
  }
  hash_ = after.hash();
  valid_ = true;
}

uint64_t SourceView::RoutesAfter(uint32_t table) const {
  auto it = after_.find(table);
  return it == after_.end() ? 0 : it->second;
}

uint64_t SourceView::RoutesBefore(uint32_t table) const {
  auto it = before_.find(table);
  return it == before_.end() ? 0 : it->second;
}

}  // namespace netsnap
