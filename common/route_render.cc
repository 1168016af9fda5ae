// Route records as `ip -j route show` JSON and as `ip route` text. The JSON comes in two forms
// that must give the same bytes: a boost::json::object for callers that add to it (findings,
// rollback plans), and text written directly for whole versions (json_writer.h; about five
// times faster). tests/common/render_test.cc holds them equal.
#include <boost/json.hpp>

#include "common/json_writer.h"
#include "netsnap/route.h"
#include "netsnap/route_protocols.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

// RTNH_F_* names, bit i of the flags named by entry i.
constexpr const char* kFlagNames[] = {"dead", "pervasive", "onlink", "offload", "linkdown"};
// RTAX_* names by type.
constexpr const char* kMetricNames[] = {
    "unspec",   "lock",    "mtu",      "window",     "rtt",      "rttvar",
    "ssthresh", "cwnd",    "advmss",   "reordering", "hoplimit", "initcwnd",
    "features", "rto_min", "initrwnd", "quickack",   "congctl",  "fastopen_no_cookie"};

std::string MetricName(uint16_t type) {
  return type < std::size(kMetricNames) ? kMetricNames[type] : std::to_string(type);
}

boost::json::array NexthopFlags(uint32_t flags) {
  boost::json::array a;
  for (size_t i = 0; i < std::size(kFlagNames); ++i) {
    if (flags & (1u << i)) a.push_back(kFlagNames[i]);
  }
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
    for (const auto& [t, v] : r.metrics) {
      boost::json::object m;
      m[MetricName(t)] = v;
      ms.push_back(std::move(m));
    }
    (*o)["metrics"] = std::move(ms);
  }
  if (!r.raw.empty()) (*o)["raw_attributes"] = r.raw.size();
  return Status::OK();
}

void WriteFlags(uint32_t flags, JsonWriter* w) {
  w->BeginArray();
  for (size_t i = 0; i < std::size(kFlagNames); ++i) {
    if (flags & (1u << i)) w->String(kFlagNames[i]);
  }
  w->EndArray();
}

// ToJson's object, written directly: the same fields in the same order.
Status AppendJson(RecordRef rec, std::string* out) {
  Route r;
  NETSNAP_RETURN_IF_ERROR(Route::FromRecord(rec, &r));
  JsonWriter w(out);
  w.BeginObject();
  w.Key("kind");
  w.String("route");
  w.Key("family");
  w.String(r.family == 10 ? "inet6" : "inet");
  w.Key("table");
  w.String(TableName(r.table));
  w.Key("dst");
  w.String(r.dst.ToString());
  if (r.tos) {
    w.Key("tos");
    w.Uint(r.tos);
  }
  if (r.metric) {
    w.Key("metric");
    w.Uint(r.metric);
  }
  if (r.src.family && r.src.len) {
    w.Key("src");
    w.String(r.src.ToString());
  }
  if (r.type != 1) {
    w.Key("type");
    w.String(RouteTypeName(r.type));
  }
  if (!r.gateway.empty()) {
    w.Key("gateway");
    w.String(r.gateway.ToString());
  }
  if (!r.dev.empty()) {
    w.Key("dev");
    w.String(r.dev);
  }
  auto protocols = CurrentRouteProtocols();
  w.Key("protocol");
  w.String(protocols->Name(r.protocol));
  if (const auto& owners = protocols->Owners(r.protocol); !owners.empty()) {
    w.Key("owner");
    w.BeginArray();
    for (const std::string& p : owners) w.String(p);
    w.EndArray();
  }
  w.Key("scope");
  w.String(ScopeName(r.scope));
  if (!r.prefsrc.empty()) {
    w.Key("prefsrc");
    w.String(r.prefsrc.ToString());
  }
  if (r.nhid) {
    w.Key("nhid");
    w.Uint(r.nhid);
  }
  w.Key("flags");
  WriteFlags(r.flags, &w);
  if (!r.nexthops.empty()) {
    w.Key("nexthops");
    w.BeginArray();
    for (const RouteNexthop& nh : r.nexthops) {
      w.BeginObject();
      if (!nh.gateway.empty()) {
        w.Key("gateway");
        w.String(nh.gateway.ToString());
      }
      if (!nh.dev.empty()) {
        w.Key("dev");
        w.String(nh.dev);
      }
      w.Key("weight");
      w.Uint(nh.weight);
      w.Key("flags");
      WriteFlags(nh.flags, &w);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!r.metrics.empty()) {
    w.Key("metrics");
    w.BeginArray();
    for (const auto& [t, v] : r.metrics) {
      w.BeginObject();
      w.Key(MetricName(t));
      w.Uint(v);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!r.raw.empty()) {
    w.Key("raw_attributes");
    w.Uint(r.raw.size());
  }
  w.EndObject();
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

// The CLI's short line from ToJson's object: "10.0.0.0/8 via 192.0.2.1 dev eth0 table 100";
// false for an object that is not ToJson's (a route that did not decode renders as hex).
bool JsonLine(const boost::json::object& o, std::string (*cell)(const boost::json::value&),
              std::string* out) {
  if (!o.contains("dst")) return false;
  auto field = [&](const char* name) -> std::string {
    const boost::json::value* v = o.if_contains(name);
    return v ? cell(*v) : "";
  };
  std::string s = field("dst");
  if (o.contains("type")) s = field("type") + " " + s;
  if (o.contains("gateway")) s += " via " + field("gateway");
  if (o.contains("dev")) s += " dev " + field("dev");
  if (o.contains("nhid")) s += " nhid " + field("nhid");
  if (o.contains("table") && field("table") != "main") s += " table " + field("table");
  if (o.contains("metric")) s += " metric " + field("metric");
  *out = std::move(s);
  return true;
}

const KindRenderer kRoute = {&ToJson, &KeyJson, &ToText, &AppendJson, &JsonLine};

}  // namespace

const KindRenderer* RouteRenderer() { return &kRoute; }

}  // namespace netsnap
