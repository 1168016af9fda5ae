// Rule records as `ip -j rule show` JSON and as `ip rule` text.
#include <boost/json.hpp>
#include <cstdio>
#include <cstring>

#include "netsnap/rule.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

// The address part of a prefix ("10.0.0.0"), as `ip -j rule` prints it beside "srclen".
std::string PrefixAddr(const Prefix& p) {
  Address a;
  a.family = p.family;
  std::memcpy(a.addr, p.addr, sizeof a.addr);
  return a.ToString();
}

void PutPrefix(boost::json::object* o, const char* name, const char* len_name, const Prefix& p) {
  (*o)[name] = PrefixAddr(p);
  if (p.len != p.addr_size() * 8) (*o)[len_name] = p.len;
}

void PutPorts(boost::json::object* o, const std::string& name, const PortRange& r) {
  if (r.start == r.end) {
    (*o)[name] = r.start;
  } else {
    (*o)[name + "_start"] = r.start;
    (*o)[name + "_end"] = r.end;
  }
}

void KeyFields(const Rule& r, boost::json::object* o) {
  (*o)["kind"] = "rule";
  (*o)["family"] = r.family == 10 ? "inet6" : "inet";
  (*o)["priority"] = r.priority;
  if (r.invert) (*o)["not"] = nullptr;
  if (r.src.family && r.src.len) {
    PutPrefix(o, "src", "srclen", r.src);
  } else {
    (*o)["src"] = "all";
  }
  if (r.dst.family && r.dst.len) PutPrefix(o, "dst", "dstlen", r.dst);
  if (r.tos) (*o)["tos"] = Hex32(r.tos);
  if (r.fwmark || r.fwmask) {
    (*o)["fwmark"] = Hex32(r.fwmark);
    if (r.fwmask != 0xffffffffu) (*o)["fwmask"] = Hex32(r.fwmask);
  }
  if (!r.iif.empty()) (*o)["iif"] = r.iif;
  if (!r.oif.empty()) (*o)["oif"] = r.oif;
  if (r.l3mdev) (*o)["l3mdev"] = nullptr;
  if (r.has_uid_range) {
    (*o)["uid_start"] = r.uid_start;
    (*o)["uid_end"] = r.uid_end;
  }
  if (r.ip_proto) (*o)["ipproto"] = IpProtoName(r.ip_proto);
  if (!r.sport.empty()) PutPorts(o, "sport", r.sport);
  if (!r.dport.empty()) PutPorts(o, "dport", r.dport);
  if (r.tun_id) (*o)["tun_id"] = r.tun_id;
  if (r.realms) (*o)["realms"] = r.realms;
}

Status ToJson(RecordRef rec, boost::json::object* o) {
  Rule r;
  NETSNAP_RETURN_IF_ERROR(Rule::FromRecord(rec, &r));
  KeyFields(r, o);
  if (r.action == 1) {
    (*o)["table"] = TableName(r.table);
  } else if (r.action == 2) {
    (*o)["goto"] = r.goto_target;
  } else {
    (*o)["action"] = RuleActionName(r.action);
  }
  if (r.suppress_prefixlen >= 0) (*o)["suppress_prefixlen"] = r.suppress_prefixlen;
  if (r.suppress_ifgroup >= 0) (*o)["suppress_ifgroup"] = r.suppress_ifgroup;
  if (r.flags & 0x4) (*o)["flags"] = boost::json::array{"unresolved"};
  (*o)["protocol"] = ProtocolName(r.protocol);
  if (!r.raw.empty()) (*o)["raw_attributes"] = r.raw.size();
  return Status::OK();
}

Status KeyJson(RecordRef rec, boost::json::object* o) {
  Rule r;
  NETSNAP_RETURN_IF_ERROR(Rule::FromRecord(rec, &r));
  KeyFields(r, o);
  return Status::OK();
}

std::string Ports(const PortRange& r) {
  return r.start == r.end ? std::to_string(r.start)
                          : std::to_string(r.start) + "-" + std::to_string(r.end);
}

Status ToText(RecordRef rec, std::string* out) {
  Rule r;
  NETSNAP_RETURN_IF_ERROR(Rule::FromRecord(rec, &r));
  std::string& s = *out;
  s += std::to_string(r.priority) + ":";
  if (r.invert) s += " not";
  s += " from " + (r.src.family && r.src.len ? r.src.ToString() : std::string("all"));
  if (r.dst.family && r.dst.len) s += " to " + r.dst.ToString();
  if (r.tos) s += " tos " + Hex32(r.tos);
  if (r.fwmark || r.fwmask) {
    s += " fwmark " + Hex32(r.fwmark);
    if (r.fwmask != 0xffffffffu) s += "/" + Hex32(r.fwmask);
  }
  if (!r.iif.empty()) s += " iif " + r.iif;
  if (!r.oif.empty()) s += " oif " + r.oif;
  if (r.l3mdev) s += " lookup [l3mdev-table]";
  if (r.has_uid_range)
    s += " uidrange " + std::to_string(r.uid_start) + "-" + std::to_string(r.uid_end);
  if (r.ip_proto) s += " ipproto " + IpProtoName(r.ip_proto);
  if (!r.sport.empty()) s += " sport " + Ports(r.sport);
  if (!r.dport.empty()) s += " dport " + Ports(r.dport);
  if (r.tun_id) s += " tun_id " + std::to_string(r.tun_id);
  if (r.realms) s += " realms " + std::to_string(r.realms);
  if (r.action == 1) {
    if (!r.l3mdev) s += " lookup " + TableName(r.table);
  } else if (r.action == 2) {
    s += " goto " + std::to_string(r.goto_target);
  } else {
    s += " " + RuleActionName(r.action);
  }
  if (r.suppress_prefixlen >= 0)
    s += " suppress_prefixlength " + std::to_string(r.suppress_prefixlen);
  if (r.suppress_ifgroup >= 0) s += " suppress_ifgroup " + std::to_string(r.suppress_ifgroup);
  if (r.protocol != 0 && r.protocol != 2) s += " proto " + ProtocolName(r.protocol);
  return Status::OK();
}

const KindRenderer kRule = {&ToJson, &KeyJson, &ToText, nullptr, nullptr};

}  // namespace

const KindRenderer* RuleRenderer() { return &kRule; }

}  // namespace netsnap
