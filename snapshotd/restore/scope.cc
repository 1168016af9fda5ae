#include "restore/scope.h"

#include <algorithm>

#include "netsnap/render.h"
#include "netsnap/rule.h"

namespace netsnap {

namespace {

bool DomainMatches(const std::vector<std::string>& domains, std::string_view d) {
  for (const std::string& want : domains) {
    if (d == want) return true;
    if (d.size() > want.size() && d.ends_with(want) && d[d.size() - want.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

std::string_view KeyText(RecordRef rec) { return rec.key.substr(1); }

}  // namespace

bool InScope(const RollbackScope& s, RecordRef rec) {
  if (s.empty()) return true;
  if (!s.keys.empty()) {
    if (!std::binary_search(s.keys.begin(), s.keys.end(), rec.key)) return false;
    // The other lists, without copying the keys (this runs once per record of a snapshot).
    RollbackScope rest{s.tables, s.prefixes, s.kinds, s.domains, s.files, {}};
    return rest.empty() || InScope(rest, rec);
  }
  RecordKind kind = KindOfKey(rec.key);
  if (!s.kinds.empty() && std::find(s.kinds.begin(), s.kinds.end(), kind) == s.kinds.end()) {
    return false;
  }
  switch (kind) {
    case RecordKind::kRoute: {
      if (s.tables.empty() && s.prefixes.empty()) return s.domains.empty() && s.files.empty();
      Route r;
      if (!Route::FromRecord(rec, &r).ok()) return false;
      if (!s.tables.empty() &&
          std::find(s.tables.begin(), s.tables.end(), r.table) == s.tables.end()) {
        return false;
      }
      if (!s.prefixes.empty() && std::none_of(s.prefixes.begin(), s.prefixes.end(),
                                              [&](const Prefix& p) { return p.Covers(r.dst); })) {
        return false;
      }
      return true;
    }
    case RecordKind::kRule: {
      if (!s.prefixes.empty() || !s.domains.empty() || !s.files.empty()) return false;
      if (s.tables.empty()) return true;
      Rule rule;
      if (!Rule::FromRecord(rec, &rule).ok()) return false;
      return std::find(s.tables.begin(), s.tables.end(), rule.table) != s.tables.end();
    }
    case RecordKind::kNexthop:
      return s.tables.empty() && s.prefixes.empty() && s.domains.empty() && s.files.empty();
    case RecordKind::kResolverRule:
      if (!s.files.empty() || !s.tables.empty() || !s.prefixes.empty()) return false;
      return s.domains.empty() || DomainMatches(s.domains, KeyText(rec));
    case RecordKind::kResolverSetting:
      return s.domains.empty() && s.files.empty() && s.tables.empty() && s.prefixes.empty();
    case RecordKind::kFile:
      if (!s.domains.empty() || !s.tables.empty() || !s.prefixes.empty()) return false;
      return s.files.empty() ||
             std::find(s.files.begin(), s.files.end(), KeyText(rec)) != s.files.end();
  }
  return false;
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
