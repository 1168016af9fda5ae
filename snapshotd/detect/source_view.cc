#include "detect/source_view.h"

#include "detect/finding.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"

namespace netsnap {

bool RouteTable(RecordRef rec, uint32_t* table) { return Route::TableOfKey(rec.key, table); }

std::string OriginFileKey(RecordRef rec) {
  std::string origin;
  if (KindOfKey(rec.key) == RecordKind::kResolverRule) {
    ResolverRule r;
    if (ResolverRule::FromRecord(rec, &r).ok()) origin = r.origin;
  } else if (KindOfKey(rec.key) == RecordKind::kResolverSetting) {
    ResolverSetting s;
    if (ResolverSetting::FromRecord(rec, &s).ok()) origin = s.origin;
  }
  return origin.empty() ? std::string() : ConfigFile::KeyFor(origin);
}

std::vector<std::string> RestoreKeysFor(const std::vector<RecordRef>& damaged) {
  std::vector<std::string> keys;
  for (RecordRef r : damaged) {
    keys.emplace_back(r.key);
    std::string file = OriginFileKey(r);
    if (!file.empty()) keys.push_back(std::move(file));
  }
  SortUnique(&keys);
  return keys;
}

void SourceView::Count(const Snapshot& snap, std::map<uint32_t, uint64_t>* out) {
  out->clear();
  // Routes sort first among the kinds a kernel source holds; stop at the first other kind.
  std::string first(1, static_cast<char>(RecordKind::kRoute));
  for (size_t i = snap.LowerBound(first); i < snap.size(); ++i) {
    RecordRef r = snap.at(i);
    if (KindOfKey(r.key) != RecordKind::kRoute) break;
    uint32_t table;
    if (RouteTable(r, &table)) ++(*out)[table];
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
