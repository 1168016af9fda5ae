// Record kinds: one descriptor per kind, in one table that every layer iterates.
//
// Each kind brings its behaviour with it, as a BIRD protocol brings its hooks in one `struct
// protocol`: its name, how it renders, and the facets of a record — what it is about in terms
// that restore/ and detect/ match on (a table, a destination, a domain, a file, an owning
// protocol) without knowing which kind they hold. Nothing outside a kind's own files switches on
// the kind. Adding a kind is its codec file, its descriptor beside it, and one line in
// AllRecordKinds() (common/record_kind.cc); docs/architecture.md, "Record kinds".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "netsnap/record.h"
#include "netsnap/route.h"

namespace netsnap {

struct KindRenderer;  // common/render_kinds.h: JSON and text (internal: it needs Boost.JSON)

// What a record is about. A facet the kind does not have stays empty, and a scope or policy
// list for a facet a record lacks never selects it.
struct RecordFacets {
  std::optional<uint32_t> table;         // the routing table the record is in (routes)
  std::optional<uint32_t> lookup_table;  // the table it sends lookups to (rules whose action
                                         // is lookup)
  std::optional<Prefix> destination;     // what it reaches (routes)
  bool default_route = false;            // destination and source both 0/0 or ::/0 (routes)
  // The routing protocol whose owner processes own the record (route_protocols.h): routes and
  // next-hop objects. Rules carry a protocol too, but no owner speaks for it.
  std::optional<uint8_t> owner_protocol;
  std::optional<std::string> domain;  // the DNS domain it answers for (resolver rules)
  uint32_t servers = 0;  // the servers it forwards queries to (resolver rules that forward)
  std::optional<std::string> path;  // the file it is (files; read from the key alone)
};

struct RecordKindOps {
  RecordKind kind;
  // "route", "rule", ...: the name in JSON ("kind"), scopes and the CLI. Unique.
  std::string_view name;
  // JSON and text; null renders as hex.
  const KindRenderer* render;
  // The record's facets; an error when the record does not decode (it then has none). Null for
  // a kind without any.
  Status (*facets)(RecordRef rec, RecordFacets* out);
  // What changed between two values of one key that matters to whoever configured the record
  // ("next hop changed"); "" when only state the system keeps by itself changed (a route's
  // linkdown flag). A value that does not decode is a change.
  std::string (*describe_change)(std::string_view key, std::string_view before,
                                 std::string_view after);
  // The key of the record `rec` was derived from, "" when none: resolver rules and settings come
  // from a file, and a restore of them writes that file. Null for kinds derived from nothing
  // (the common case stays free: a mass deletion asks this of every removed route).
  std::string (*origin_key)(RecordRef rec);
  // What people call records of the kind together when counting them ("rules", "next-hop
  // objects"); empty for a kind never counted alone (resolver settings come and go with their
  // file's rules).
  std::string_view group;
  // The table a record is in, read from its key alone (cheap: run over whole snapshots); null
  // for kinds not in tables. Agrees with facets().table.
  bool (*table_of_key)(std::string_view key, uint32_t* table);
};

// Every kind, by ascending RecordKind value.
std::span<const RecordKindOps* const> AllRecordKinds();
// The descriptor of a kind, or null for a value no kind has (a record from a newer version,
// or damage); callers treat such a record as opaque: hex, no facets, no match.
const RecordKindOps* FindRecordKind(RecordKind kind);
inline const RecordKindOps* KindOpsOf(std::string_view key) {
  return FindRecordKind(KindOfKey(key));
}

// The facets of a record; none for a record of an unknown kind or one that does not decode.
RecordFacets FacetsOf(RecordRef rec);
// The key of the record `rec` was derived from, "" when none.
std::string OriginKeyOf(RecordRef rec);
// The table a record is in, from its key alone; false when its kind has no tables.
bool TableOfKey(std::string_view key, uint32_t* table);
// True when `domain` is one of `domains` or below one ("a.corp.example" is below
// "corp.example").
bool InDomains(std::string_view domain, std::span<const std::string> domains);
// The key prefix every record of `kind` starts with (the kind byte): the range a scan of one
// kind reads.
inline std::string KindKeyPrefix(RecordKind kind) {
  return std::string(1, static_cast<char>(kind));
}

}  // namespace netsnap
