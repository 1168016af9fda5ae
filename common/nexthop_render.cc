// Next-hop records as `ip -j nexthop show` JSON and as `ip nexthop` text.
#include <boost/json.hpp>

#include "netsnap/nexthop.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

boost::json::array Flags(uint32_t flags) {
  boost::json::array a;
  if (flags & 1) a.push_back("dead");
  if (flags & 4) a.push_back("onlink");
  if (flags & 16) a.push_back("linkdown");
  return a;
}

Status ToJson(RecordRef rec, boost::json::object* o) {
  Nexthop nh;
  NETSNAP_RETURN_IF_ERROR(Nexthop::FromRecord(rec, &nh));
  (*o)["kind"] = "nexthop";
  (*o)["id"] = nh.id;
  if (!nh.group.empty()) {
    boost::json::array g;
    for (const NexthopGroupMember& m : nh.group) {
      boost::json::object e;
      e["id"] = m.id;
      if (m.weight != 1) e["weight"] = m.weight;
      g.push_back(std::move(e));
    }
    (*o)["group"] = std::move(g);
    if (nh.group_type == 1) {
      (*o)["type"] = "resilient";
      (*o)["resilient_args"] = boost::json::object{{"buckets", nh.res_buckets},
                                                   {"idle_timer", nh.res_idle_timer},
                                                   {"unbalanced_timer", nh.res_unbalanced_timer}};
    }
  }
  if (!nh.gateway.empty()) (*o)["gateway"] = nh.gateway.ToString();
  if (!nh.dev.empty()) (*o)["dev"] = nh.dev;
  (*o)["scope"] = ScopeName(nh.scope);
  if (nh.blackhole) (*o)["blackhole"] = nullptr;
  if (nh.fdb) (*o)["fdb"] = nullptr;
  (*o)["protocol"] = ProtocolName(nh.protocol);
  (*o)["flags"] = Flags(nh.flags);
  if (!nh.raw.empty()) (*o)["raw_attributes"] = nh.raw.size();
  return Status::OK();
}

Status KeyJson(RecordRef rec, boost::json::object* o) {
  Nexthop nh;
  NETSNAP_RETURN_IF_ERROR(Nexthop::FromRecord(rec, &nh));
  (*o)["kind"] = "nexthop";
  (*o)["id"] = nh.id;
  return Status::OK();
}

Status ToText(RecordRef rec, std::string* out) {
  Nexthop nh;
  NETSNAP_RETURN_IF_ERROR(Nexthop::FromRecord(rec, &nh));
  std::string& s = *out;
  s += "id " + std::to_string(nh.id);
  if (!nh.group.empty()) {
    s += " group ";
    for (size_t i = 0; i < nh.group.size(); ++i) {
      if (i) s += "/";
      s += std::to_string(nh.group[i].id);
      if (nh.group[i].weight != 1) s += "," + std::to_string(nh.group[i].weight);
    }
    if (nh.group_type == 1) {
      s += " type resilient buckets " + std::to_string(nh.res_buckets) + " idle_timer " +
           std::to_string(nh.res_idle_timer) + " unbalanced_timer " +
           std::to_string(nh.res_unbalanced_timer);
    }
  }
  if (!nh.gateway.empty()) s += " via " + nh.gateway.ToString();
  if (!nh.dev.empty()) s += " dev " + nh.dev;
  if (nh.scope != 0) s += " scope " + ScopeName(nh.scope);
  if (nh.blackhole) s += " blackhole";
  if (nh.fdb) s += " fdb";
  if (nh.protocol != 0) s += " proto " + ProtocolName(nh.protocol);
  if (nh.flags & 4) s += " onlink";
  return Status::OK();
}

const KindRenderer kNexthop = {&ToJson, &KeyJson, &ToText, nullptr, nullptr};

}  // namespace

const KindRenderer* NexthopRenderer() { return &kNexthop; }

}  // namespace netsnap
