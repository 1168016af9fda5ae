// The table of record kinds. Adding a kind adds one line to AllRecordKinds().
#include "netsnap/record_kind.h"

#include <array>

#include "render_kinds.h"

namespace netsnap {

std::span<const RecordKindOps* const> AllRecordKinds() {
  static const std::array<const RecordKindOps*, 6> kinds = {
      &RouteKindOps(),           &RuleKindOps(), &NexthopKindOps(), &ResolverRuleKindOps(),
      &ResolverSettingKindOps(), &FileKindOps(),
  };
  return kinds;
}

const RecordKindOps* FindRecordKind(RecordKind kind) {
  // By value: this runs once per record rendered or matched.
  static const auto by_value = [] {
    std::array<const RecordKindOps*, 256> a{};
    for (const RecordKindOps* k : AllRecordKinds()) a[static_cast<uint8_t>(k->kind)] = k;
    return a;
  }();
  return by_value[static_cast<uint8_t>(kind)];
}

std::string_view RecordKindName(RecordKind kind) {
  const RecordKindOps* k = FindRecordKind(kind);
  return k ? k->name : "unknown";
}

std::optional<RecordKind> RecordKindFromName(std::string_view name) {
  for (const RecordKindOps* k : AllRecordKinds()) {
    if (k->name == name) return k->kind;
  }
  return std::nullopt;
}

RecordFacets FacetsOf(RecordRef rec) {
  RecordFacets f;
  const RecordKindOps* k = KindOpsOf(rec.key);
  if (k && k->facets && !k->facets(rec, &f).ok()) f = RecordFacets();
  return f;
}

std::string OriginKeyOf(RecordRef rec) {
  const RecordKindOps* k = KindOpsOf(rec.key);
  return k && k->origin_key ? k->origin_key(rec) : std::string();
}

bool InDomains(std::string_view d, std::span<const std::string> domains) {
  for (const std::string& want : domains) {
    if (d == want) return true;
    if (d.size() > want.size() && d.ends_with(want) && d[d.size() - want.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

bool TableOfKey(std::string_view key, uint32_t* table) {
  const RecordKindOps* k = KindOpsOf(key);
  return k && k->table_of_key && k->table_of_key(key, table);
}

}  // namespace netsnap
