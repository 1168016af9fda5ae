#include "restore/scope.h"

#include <algorithm>

#include "netsnap/record_kind.h"

namespace netsnap {

namespace {

// Every facet list given must select the record; a list for a facet the record's kind lacks
// never does (a nexthop is in no table).
bool FacetsInScope(const RollbackScope& s, RecordRef rec) {
  if (s.tables.empty() && s.prefixes.empty() && s.domains.empty() && s.files.empty()) {
    return KindOpsOf(rec.key) != nullptr;  // a kind unknown to the table is never selected
  }
  const RecordFacets f = FacetsOf(rec);
  auto listed = [](const auto& list, const auto& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  if (!s.tables.empty()) {
    std::optional<uint32_t> t = f.table ? f.table : f.lookup_table;
    if (!t || !listed(s.tables, *t)) return false;
  }
  if (!s.prefixes.empty() &&
      (!f.destination || std::none_of(s.prefixes.begin(), s.prefixes.end(),
                                      [&](const Prefix& p) { return p.Covers(*f.destination); }))) {
    return false;
  }
  if (!s.domains.empty() && (!f.domain || !InDomains(*f.domain, s.domains))) return false;
  return s.files.empty() || (f.path && listed(s.files, *f.path));
}

}  // namespace

bool InScope(const RollbackScope& s, RecordRef rec) {
  if (s.empty()) return true;
  if (!s.keys.empty()) {
    if (!std::binary_search(s.keys.begin(), s.keys.end(), rec.key)) return false;
    // The other lists, without copying the keys (this runs once per record of a snapshot).
    RollbackScope rest{s.tables, s.prefixes, s.kinds, s.domains, s.files, {}};
    return rest.empty() || InScope(rest, rec);
  }
  if (!s.kinds.empty() &&
      std::find(s.kinds.begin(), s.kinds.end(), KindOfKey(rec.key)) == s.kinds.end()) {
    return false;
  }
  return FacetsInScope(s, rec);
}

Snapshot Restrict(const Snapshot& snap, const RollbackScope& scope) {
  if (scope.empty()) return snap;
  SnapshotBuilder b;
  for (RecordRef r : snap) {
    if (InScope(scope, r)) b.Add(r.key, r.value);
  }
  Snapshot out;
  (void)b.Finish(&out);  // records come sorted from snap
  return out;
}

Delta ScopedDelta(const Snapshot& from, const Snapshot& to, const RollbackScope& scope) {
  if (scope.keys.empty()) return ComputeDelta(Restrict(from, scope), Restrict(to, scope));
  const RollbackScope rest{scope.tables,  scope.prefixes, scope.kinds,
                           scope.domains, scope.files,    {}};
  auto inside = [&](std::string_view key, const Snapshot& s,
                    size_t* at) -> std::optional<RecordRef> {
    *at = s.LowerBound(key, *at);
    if (*at == s.size()) return std::nullopt;
    RecordRef r = s.at(*at);
    if (r.key != key || !(rest.empty() || InScope(rest, r))) return std::nullopt;
    return r;
  };
  Delta d;
  size_t i = 0, j = 0;
  for (size_t k = 0; k < scope.keys.size(); ++k) {
    const std::string& key = scope.keys[k];
    if (k > 0 && key == scope.keys[k - 1]) continue;
    std::optional<RecordRef> a = inside(key, from, &i), b = inside(key, to, &j);
    if (b && (!a || a->value != b->value)) {
      d.push_back({key, std::string(b->value)});
    } else if (a && !b) {
      d.push_back({key, std::nullopt});
    }
  }
  return d;
}

}  // namespace netsnap
