// Route records as `ip -j route show` JSON and as `ip route` text.
#include <boost/json.hpp>

#include "netsnap/route.h"
#include "netsnap/route_protocols.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

boost::json::array NexthopFlags(uint32_t flags) {
  boost::json::array a;
  if (flags & 1) a.push_back("dead");
  if (flags & 2) a.push_back("pervasive");
  if (flags & 4) a.push_back("onlink");
  if (flags & 8) a.push_back("offload");
  if (flags & 16) a.push_back("linkdown");
  return a;
}

void KeyFields(const Route& r, boost::json::object* o) {
  (*o)["kind"] = "route";
  (*o)["family"] = r.family == 10 ? "inet6" : "inet";
  (*o)["table"] = TableName(r.table);
  (*o)["dst"] = r.dst.ToString();
  if (r.tos) (*o)["tos"] = r.tos;
  if (r.metric) (*o)["metric"] = r.metric;
  if (r.src.family && r.src.len) (*o)["src"] = r.src.ToString();
}

Status ToJson(RecordRef rec, boost::json::object* o) {
  Route r;
  NETSNAP_RETURN_IF_ERROR(Route::FromRecord(rec, &r));
  KeyFields(r, o);
  if (r.type != 1) (*o)["type"] = RouteTypeName(r.type);
  if (!r.gateway.empty()) (*o)["gateway"] = r.gateway.ToString();
  if (!r.dev.empty()) (*o)["dev"] = r.dev;
  auto protocols = CurrentRouteProtocols();
  (*o)["protocol"] = protocols->Name(r.protocol);
  // The processes that own routes of this protocol (docs/detection.md, "Owners"), when known.
  if (const auto& owners = protocols->Owners(r.protocol); !owners.empty()) {
    boost::json::array a;
    for (const std::string& p : owners) a.emplace_back(p);
    (*o)["owner"] = std::move(a);
  }
  (*o)["scope"] = ScopeName(r.scope);
  if (!r.prefsrc.empty()) (*o)["prefsrc"] = r.prefsrc.ToString();
  if (r.nhid) (*o)["nhid"] = r.nhid;
  (*o)["flags"] = NexthopFlags(r.flags);
  if (!r.nexthops.empty()) {
    boost::json::array nhs;
    for (const RouteNexthop& nh : r.nexthops) {
      boost::json::object n;
      if (!nh.gateway.empty()) n["gateway"] = nh.gateway.ToString();
      if (!nh.dev.empty()) n["dev"] = nh.dev;
      n["weight"] = nh.weight;
      n["flags"] = NexthopFlags(nh.flags);
      nhs.push_back(std::move(n));
    }
    (*o)["nexthops"] = std::move(nhs);
  }
  if (!r.metrics.empty()) {
    boost::json::array ms;
    static const char* const kNames[] = {
        "unspec",   "lock",    "mtu",      "window",     "rtt",      "rttvar",
        "ssthresh", "cwnd",    "advmss",   "reordering", "hoplimit", "initcwnd",
        "features", "rto_min", "initrwnd", "quickack",   "congctl",  "fastopen_no_cookie"};
    for (const auto& [t, v] : r.metrics) {
      boost::json::object m;
      m[t < std::size(kNames) ? kNames[t] : std::to_string(t)] = v;
      ms.push_back(std::move(m));
    }
    (*o)["metrics"] = std::move(ms);
  }
  if (!r.raw.empty()) (*o)["raw_attributes"] = r.raw.size();
  return Status::OK();
}

Status KeyJson(RecordRef rec, boost::json::object* o) {
  Route r;
  NETSNAP_RETURN_IF_ERROR(Route::FromRecord(rec, &r));
  KeyFields(r, o);
  return Status::OK();
}

Status ToText(RecordRef rec, std::string* out) {
  Route r;
  NETSNAP_RETURN_IF_ERROR(Route::FromRecord(rec, &r));
  std::string& s = *out;
  if (r.type != 1) s += RouteTypeName(r.type) + " ";
  s += r.dst.ToString();
  if (r.src.family && r.src.len) s += " from " + r.src.ToString();
  if (r.tos) s += " tos " + std::to_string(r.tos);
  if (r.nhid) s += " nhid " + std::to_string(r.nhid);
  if (!r.gateway.empty()) s += " via " + r.gateway.ToString();
  if (!r.dev.empty()) s += " dev " + r.dev;
  if (r.table != 254) s += " table " + TableName(r.table);
  if (r.protocol != 3) s += " proto " + ProtocolName(r.protocol);
  if (r.scope != 0) s += " scope " + ScopeName(r.scope);
  if (!r.prefsrc.empty()) s += " src " + r.prefsrc.ToString();
  if (r.metric) s += " metric " + std::to_string(r.metric);
  if (r.flags & 4) s += " onlink";
  for (const RouteNexthop& nh : r.nexthops) {
    s += " nexthop";
    if (!nh.gateway.empty()) s += " via " + nh.gateway.ToString();
    if (!nh.dev.empty()) s += " dev " + nh.dev;
    s += " weight " + std::to_string(nh.weight);
    if (nh.flags & 4) s += " onlink";
  }
  return Status::OK();
}

const KindRenderer kRoute = {&ToJson, &KeyJson, &ToText};

}  // namespace

const KindRenderer* RouteRenderer() { return &kRoute; }

}  // namespace netsnap
