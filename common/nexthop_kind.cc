// The next-hop object kind's descriptor: a next hop is owned by the processes of its protocol;
// any change of one redirects every route that uses it.
#include "netsnap/nexthop.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

Status Facets(RecordRef rec, RecordFacets* out) {
  Nexthop nh;
  NETSNAP_RETURN_IF_ERROR(Nexthop::FromRecord(rec, &nh));
  out->owner_protocol = nh.protocol;
  return Status::OK();
}

std::string DescribeChange(std::string_view, std::string_view, std::string_view) {
  return "next-hop object changed";
}

}  // namespace

const RecordKindOps& NexthopKindOps() {
  static const RecordKindOps ops = {
      .kind = RecordKind::kNexthop,
      .name = "nexthop",
      .render = NexthopRenderer(),
      .facets = &Facets,
      .describe_change = &DescribeChange,
      .origin_key = nullptr,
      .group = "next-hop objects",
      .table_of_key = nullptr,
  };
  return ops;
}

}  // namespace netsnap
