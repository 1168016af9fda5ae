// The route kind's descriptor: a route is in a table, reaches a destination and is owned by the
// processes of its protocol.
#include "netsnap/route.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

Status Facets(RecordRef rec, RecordFacets* out) {
  Route r;
  NETSNAP_RETURN_IF_ERROR(Route::FromRecord(rec, &r));
  out->table = r.table;
  out->destination = r.dst;
  out->default_route = r.dst.len == 0 && r.src.len == 0;
  out->owner_protocol = r.protocol;
  return Status::OK();
}

bool SameNexthops(const Route& a, const Route& b) {
  if (a.nexthops.size() != b.nexthops.size()) return false;
  for (size_t i = 0; i < a.nexthops.size(); ++i) {
    if (!(a.nexthops[i].gateway == b.nexthops[i].gateway) ||
        a.nexthops[i].dev != b.nexthops[i].dev || a.nexthops[i].weight != b.nexthops[i].weight) {
      return false;
    }
  }
  return true;
}

// Where the route leads and who set it; flags (linkdown) and metrics are the kernel's or
// tuning, not a redirection.
std::string DescribeChange(std::string_view key, std::string_view before, std::string_view after) {
  Route a, b;
  if (!Route::FromRecord({key, before}, &a).ok() || !Route::FromRecord({key, after}, &b).ok()) {
    return "route changed";
  }
  if (a.protocol != b.protocol) {
    return "protocol " + ProtocolName(a.protocol) + " -> " + ProtocolName(b.protocol);
  }
  if (a.type != b.type) return "type " + RouteTypeName(a.type) + " -> " + RouteTypeName(b.type);
  if (!(a.gateway == b.gateway) || a.dev != b.dev || a.nhid != b.nhid) return "next hop changed";
  if (!SameNexthops(a, b)) return "next hops changed";
  if (!(a.prefsrc == b.prefsrc)) return "preferred source changed";
  return "";
}

}  // namespace

const RecordKindOps& RouteKindOps() {
  static const RecordKindOps ops = {
      .kind = RecordKind::kRoute,
      .name = "route",
      .render = RouteRenderer(),
      .facets = &Facets,
      .describe_change = &DescribeChange,
      .origin_key = nullptr,
      .group = "routes",
      .table_of_key = &Route::TableOfKey,
  };
  return ops;
}

}  // namespace netsnap
