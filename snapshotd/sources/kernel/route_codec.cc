#include "sources/kernel/route_codec.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "sources/kernel/netlink_attrs.h"

namespace netsnap::kernel {

namespace {

constexpr size_t kMaxMessage = 16384;

void CopyAddr(const nlattr* a, uint8_t family, uint8_t* dst) {
  size_t n = family == AF_INET6 ? 16 : 4;
  if (mnl_attr_get_payload_len(a) >= n) std::memcpy(dst, mnl_attr_get_payload(a), n);
}

Address AddrFrom(const nlattr* a, uint8_t family) {
  Address out;
  out.family = family;
  CopyAddr(a, family, out.addr);
  return out;
}

// RTA_VIA: an IPv4 route's IPv6 gateway.
Address ViaFrom(const nlattr* a) {
  Address out;
  if (mnl_attr_get_payload_len(a) < sizeof(rtvia)) return out;
  const auto* via = static_cast<const rtvia*>(mnl_attr_get_payload(a));
  uint8_t fam = static_cast<uint8_t>(via->rtvia_family);
  size_t need = fam == AF_INET6 ? 16 : 4;
  if (mnl_attr_get_payload_len(a) < sizeof(rtvia) + need) return out;
  out.family = fam;
  std::memcpy(out.addr, via->rtvia_addr, need);
  return out;
}

void PutGateway(nlmsghdr* nlh, uint8_t family, const Address& gw) {
  if (gw.empty()) return;
  if (gw.family == family) {
    mnl_attr_put(nlh, RTA_GATEWAY, gw.family == AF_INET6 ? 16 : 4, gw.addr);
    return;
  }
  char buf[sizeof(rtvia) + 16];
  auto* via = reinterpret_cast<rtvia*>(buf);
  via->rtvia_family = gw.family;
  size_t n = gw.family == AF_INET6 ? 16 : 4;
  std::memcpy(via->rtvia_addr, gw.addr, n);
  mnl_attr_put(nlh, RTA_VIA, sizeof(rtvia) + n, buf);
}

bool DecodeMultipath(const nlattr* mp, uint8_t family, const LinkNames& links, Route* r) {
  const char* p = static_cast<const char*>(mnl_attr_get_payload(mp));
  size_t left = mnl_attr_get_payload_len(mp);
  while (left >= sizeof(rtnexthop)) {
    const auto* nh = reinterpret_cast<const rtnexthop*>(p);
    if (nh->rtnh_len < sizeof(rtnexthop) || nh->rtnh_len > left) return false;
    RouteNexthop out;
    out.weight = static_cast<uint16_t>(nh->rtnh_hops + 1);
    out.flags = nh->rtnh_flags;
    if (nh->rtnh_ifindex > 0) out.dev = links.Name(static_cast<uint32_t>(nh->rtnh_ifindex));
    const char* ap = p + RTNH_ALIGN(sizeof(rtnexthop));
    const char* end = p + nh->rtnh_len;
    while (ap + sizeof(nlattr) <= end) {
      const auto* a = reinterpret_cast<const nlattr*>(ap);
      if (a->nla_len < sizeof(nlattr) || ap + a->nla_len > end) break;
      if (mnl_attr_get_type(a) == RTA_GATEWAY) out.gateway = AddrFrom(a, family);
      if (mnl_attr_get_type(a) == RTA_VIA) out.gateway = ViaFrom(a);
      ap += MNL_ALIGN(a->nla_len);
    }
    r->nexthops.push_back(std::move(out));
    size_t step = RTNH_ALIGN(nh->rtnh_len);
    if (step >= left) break;
    p += step;
    left -= step;
  }
  return true;
}

// RTA_METRICS: named u32 metrics, or the whole nest kept raw when it holds a congestion
// control name (the only metric that is not a u32).
void DecodeMetrics(const nlattr* nest, Route* r) {
  std::vector<std::pair<uint16_t, uint32_t>> m;
  for (const nlattr* a : Nested(nest)) {
    uint16_t t = mnl_attr_get_type(a);
    if (t == RTAX_CC_ALGO || mnl_attr_get_payload_len(a) != 4) {
      r->raw.push_back(
          {nest->nla_type, std::string(static_cast<const char*>(mnl_attr_get_payload(nest)),
                                       mnl_attr_get_payload_len(nest))});
      return;
    }
    m.emplace_back(t, mnl_attr_get_u32(a));
  }
  std::sort(m.begin(), m.end());
  r->metrics = std::move(m);
}

}  // namespace

Status DecodeRoute(const nlmsghdr* nlh, const LinkNames& links, Route* out, bool* modelled) {
  *modelled = false;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) {
    return Status::Corruption("route message too short");
  }
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return Status::OK();
  if (rtm->rtm_flags & RTM_F_CLONED) return Status::OK();
  Route& r = *out;
  r = Route{};
  r.family = rtm->rtm_family;
  r.table = rtm->rtm_table;
  r.dst.family = r.family;
  r.dst.len = rtm->rtm_dst_len;
  r.tos = rtm->rtm_tos;
  r.type = rtm->rtm_type;
  r.protocol = rtm->rtm_protocol;
  r.scope = rtm->rtm_scope;
  r.flags = rtm->rtm_flags;
  for (const nlattr* a : Attrs(nlh, sizeof(rtmsg))) {
    switch (mnl_attr_get_type(a)) {
      case RTA_DST:
        CopyAddr(a, r.family, r.dst.addr);
        break;
      case RTA_SRC:
        if (rtm->rtm_src_len) {
          r.src.family = r.family;
          r.src.len = rtm->rtm_src_len;
          CopyAddr(a, r.family, r.src.addr);
        }
        break;
      case RTA_TABLE:
        r.table = mnl_attr_get_u32(a);
        break;
      case RTA_PRIORITY:
        r.metric = mnl_attr_get_u32(a);
        break;
      case RTA_GATEWAY:
        r.gateway = AddrFrom(a, r.family);
        break;
      case RTA_VIA:
        r.gateway = ViaFrom(a);
        break;
      case RTA_OIF:
        r.dev = links.Name(mnl_attr_get_u32(a));
        break;
      case RTA_PREFSRC:
        r.prefsrc = AddrFrom(a, r.family);
        break;
      case RTA_NH_ID:
        r.nhid = mnl_attr_get_u32(a);
        break;
      case RTA_MULTIPATH:
        if (!DecodeMultipath(a, r.family, links, &r)) {
          return Status::Corruption("bad RTA_MULTIPATH");
        }
        break;
      case RTA_METRICS:
        DecodeMetrics(a, &r);
        break;
      // Volatile or request-only attributes: never part of the state.
      case RTA_CACHEINFO:
      case RTA_EXPIRES:
      case RTA_PAD:
      case RTA_UID:
      case RTA_IIF:
      case RTA_MFC_STATS:
        break;
      default:
        r.raw.push_back({a->nla_type, std::string(static_cast<const char*>(mnl_attr_get_payload(a)),
                                                  mnl_attr_get_payload_len(a))});
    }
  }
  if (r.nhid) {  // the kernel echoes the next-hop object's gateway and device: not ours
    r.gateway = Address{};
    r.dev.clear();
    r.nexthops.clear();
  }
  std::stable_sort(r.raw.begin(), r.raw.end(),
                   [](const RawAttr& x, const RawAttr& y) { return x.type < y.type; });
  *modelled = true;
  return Status::OK();
}

Status EncodeRoute(const Route& r, uint16_t type, uint16_t flags, uint32_t seq,
                   const LinkNames& links, std::string* buf) {
  alignas(nlmsghdr) char mem[kMaxMessage];
  std::memset(mem, 0, sizeof(nlmsghdr) + sizeof(rtmsg));
  nlmsghdr* nlh = mnl_nlmsg_put_header(mem);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = r.family;
  rtm->rtm_dst_len = r.dst.len;
  rtm->rtm_src_len = r.src.family ? r.src.len : 0;
  rtm->rtm_tos = r.tos;
  rtm->rtm_table = r.table < 256 ? static_cast<uint8_t>(r.table) : uint8_t{RT_TABLE_UNSPEC};
  const size_t alen = r.family == AF_INET6 ? 16 : 4;
  if (r.dst.len) mnl_attr_put(nlh, RTA_DST, alen, r.dst.addr);
  if (r.src.family && r.src.len) mnl_attr_put(nlh, RTA_SRC, alen, r.src.addr);
  mnl_attr_put_u32(nlh, RTA_TABLE, r.table);
  if (r.metric || r.family == AF_INET6) mnl_attr_put_u32(nlh, RTA_PRIORITY, r.metric);
  if (type == RTM_DELROUTE) {
    // Match by key alone: any type, scope and protocol.
    rtm->rtm_scope = RT_SCOPE_NOWHERE;
    buf->append(mem, nlh->nlmsg_len);
    return Status::OK();
  }
  rtm->rtm_protocol = r.protocol;
  rtm->rtm_scope = r.scope;
  rtm->rtm_type = r.type;
  rtm->rtm_flags = r.flags & (RTNH_F_ONLINK | RTNH_F_PERVASIVE);  // the rest is kernel state
  auto dev_index = [&](const std::string& dev, uint32_t* index) {
    *index = links.Index(dev);
    return *index ? Status::OK() : Status::NotFound("device " + dev + " does not exist");
  };
  if (r.nhid) {
    mnl_attr_put_u32(nlh, RTA_NH_ID, r.nhid);
  } else if (!r.nexthops.empty()) {
    nlattr* mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
    for (const RouteNexthop& nh : r.nexthops) {
      auto* rtnh = static_cast<rtnexthop*>(mnl_nlmsg_get_payload_tail(nlh));
      nlh->nlmsg_len += RTNH_ALIGN(sizeof(rtnexthop));
      std::memset(rtnh, 0, sizeof(rtnexthop));
      rtnh->rtnh_hops = static_cast<uint8_t>(nh.weight ? nh.weight - 1 : 0);
      rtnh->rtnh_flags = static_cast<uint8_t>(nh.flags & (RTNH_F_ONLINK | RTNH_F_PERVASIVE));
      if (!nh.dev.empty()) {
        uint32_t idx;
        NETSNAP_RETURN_IF_ERROR(dev_index(nh.dev, &idx));
        rtnh->rtnh_ifindex = static_cast<int>(idx);
      }
      PutGateway(nlh, r.family, nh.gateway);
      rtnh->rtnh_len = static_cast<unsigned short>(
          static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)) - reinterpret_cast<char*>(rtnh));
    }
    mnl_attr_nest_end(nlh, mp);
  } else {
    PutGateway(nlh, r.family, r.gateway);
    if (!r.dev.empty()) {
      uint32_t idx;
      NETSNAP_RETURN_IF_ERROR(dev_index(r.dev, &idx));
      mnl_attr_put_u32(nlh, RTA_OIF, idx);
    }
  }
  if (!r.prefsrc.empty()) mnl_attr_put(nlh, RTA_PREFSRC, alen, r.prefsrc.addr);
  if (!r.metrics.empty()) {
    nlattr* m = mnl_attr_nest_start(nlh, RTA_METRICS);
    for (const auto& [t, v] : r.metrics) mnl_attr_put_u32(nlh, t, v);
    mnl_attr_nest_end(nlh, m);
  }
  for (const RawAttr& a : r.raw) {
    if (nlh->nlmsg_len + MNL_ATTR_HDRLEN + a.data.size() > kMaxMessage) {
      return Status::InvalidArgument("route too large for one message");
    }
    mnl_attr_put(nlh, a.type, a.data.size(), a.data.data());
  }
  buf->append(mem, nlh->nlmsg_len);
  return Status::OK();
}

void EncodeRouteDump(uint8_t family, uint32_t table, uint32_t seq, std::string* buf) {
  alignas(nlmsghdr) char mem[256];
  std::memset(mem, 0, sizeof mem);
  nlmsghdr* nlh = mnl_nlmsg_put_header(mem);
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = family;
  if (table) {
    rtm->rtm_table = table < 256 ? static_cast<uint8_t>(table) : uint8_t{RT_TABLE_UNSPEC};
    mnl_attr_put_u32(nlh, RTA_TABLE, table);
  }
  buf->append(mem, nlh->nlmsg_len);
}

void EncodeLinkDump(uint32_t seq, std::string* buf) {
  alignas(nlmsghdr) char mem[128];
  std::memset(mem, 0, sizeof mem);
  nlmsghdr* nlh = mnl_nlmsg_put_header(mem);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  buf->append(mem, nlh->nlmsg_len);
}

}  // namespace netsnap::kernel
