#include "sources/kernel/nexthop_codec.h"

#include <libmnl/libmnl.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "sources/kernel/netlink_attrs.h"

namespace netsnap::kernel {

namespace {

constexpr size_t kMaxMessage = 16384;
// Attributes newer than the installed headers that describe a dump, not the object: the
// request's operation flags and statistics.
constexpr uint16_t kNhaOpFlags = 14;
constexpr uint16_t kNhaGroupStats = 15;
constexpr uint16_t kNhaHwStatsUsed = 17;

void DecodeResGroup(const nlattr* nest, Nexthop* nh) {
  for (const nlattr* a : Nested(nest)) {
    switch (mnl_attr_get_type(a)) {
      case NHA_RES_GROUP_BUCKETS:
        nh->res_buckets = mnl_attr_get_u16(a);
        break;
      case NHA_RES_GROUP_IDLE_TIMER:
        nh->res_idle_timer = mnl_attr_get_u32(a);
        break;
      case NHA_RES_GROUP_UNBALANCED_TIMER:
        nh->res_unbalanced_timer = mnl_attr_get_u32(a);
        break;
      default:
        break;  // NHA_RES_GROUP_UNBALANCED_TIME is state
    }
  }
}

}  // namespace

Status DecodeNexthop(const nlmsghdr* nlh, const LinkNames& links, Nexthop* out) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nhmsg)) {
    return Status::Corruption("nexthop message too short");
  }
  const auto* nhm = static_cast<const nhmsg*>(mnl_nlmsg_get_payload(nlh));
  Nexthop& nh = *out;
  nh = Nexthop{};
  nh.family = nhm->nh_family;
  nh.protocol = nhm->nh_protocol;
  nh.scope = nhm->nh_scope;
  nh.flags = nhm->nh_flags;
  for (const nlattr* a : Attrs(nlh, sizeof(nhmsg))) {
    switch (mnl_attr_get_type(a)) {
      case NHA_ID:
        nh.id = mnl_attr_get_u32(a);
        break;
      case NHA_GROUP: {
        size_t n = mnl_attr_get_payload_len(a) / sizeof(nexthop_grp);
        const auto* g = static_cast<const nexthop_grp*>(mnl_attr_get_payload(a));
        for (size_t i = 0; i < n; ++i) {
          nh.group.push_back({g[i].id, static_cast<uint16_t>(g[i].weight + 1)});
        }
        break;
      }
      case NHA_GROUP_TYPE:
        nh.group_type = mnl_attr_get_u16(a);
        break;
      case NHA_BLACKHOLE:
        nh.blackhole = true;
        break;
      case NHA_FDB:
        nh.fdb = true;
        break;
      case NHA_OIF:
        nh.dev = links.Name(mnl_attr_get_u32(a));
        break;
      case NHA_GATEWAY: {
        size_t len = mnl_attr_get_payload_len(a);
        if (len == 4 || len == 16) {
          nh.gateway.family = len == 16 ? AF_INET6 : AF_INET;
          std::memcpy(nh.gateway.addr, mnl_attr_get_payload(a), len);
        }
        break;
      }
      case NHA_RES_GROUP:
        DecodeResGroup(a, &nh);
        break;
      case NHA_RES_BUCKET:
      case kNhaOpFlags:
      case kNhaGroupStats:
      case kNhaHwStatsUsed:
        break;
      default:
        nh.raw.push_back(
            {a->nla_type, std::string(static_cast<const char*>(mnl_attr_get_payload(a)),
                                      mnl_attr_get_payload_len(a))});
    }
  }
  if (nh.id == 0) return Status::Corruption("nexthop message without an id");
  std::stable_sort(nh.raw.begin(), nh.raw.end(),
                   [](const RawAttr& x, const RawAttr& y) { return x.type < y.type; });
  return Status::OK();
}

Status EncodeNexthop(const Nexthop& nh, uint16_t type, uint16_t flags, uint32_t seq,
                     const LinkNames& links, std::string* buf) {
  alignas(nlmsghdr) char mem[kMaxMessage];
  std::memset(mem, 0, sizeof(nlmsghdr) + sizeof(nhmsg));
  nlmsghdr* nlh = mnl_nlmsg_put_header(mem);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* nhm = static_cast<nhmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nhmsg)));
  mnl_attr_put_u32(nlh, NHA_ID, nh.id);
  if (type == RTM_NEWNEXTHOP) {
    nhm->nh_family = nh.group.empty() ? nh.family : AF_UNSPEC;
    nhm->nh_protocol = nh.protocol;
    nhm->nh_flags = nh.flags & RTNH_F_ONLINK;  // the rest is kernel state
    if (!nh.group.empty()) {
      std::vector<nexthop_grp> g(nh.group.size());
      for (size_t i = 0; i < g.size(); ++i) {
        std::memset(&g[i], 0, sizeof g[i]);
        g[i].id = nh.group[i].id;
        g[i].weight = static_cast<uint8_t>(nh.group[i].weight ? nh.group[i].weight - 1 : 0);
      }
      if (sizeof(nexthop_grp) * g.size() + 512 > kMaxMessage) {
        return Status::InvalidArgument("nexthop group too large for one message");
      }
      mnl_attr_put(nlh, NHA_GROUP, sizeof(nexthop_grp) * g.size(), g.data());
      mnl_attr_put_u16(nlh, NHA_GROUP_TYPE, nh.group_type);
      if (nh.group_type == NEXTHOP_GRP_TYPE_RES) {
        nlattr* res = mnl_attr_nest_start(nlh, NHA_RES_GROUP);
        mnl_attr_put_u16(nlh, NHA_RES_GROUP_BUCKETS, nh.res_buckets);
        mnl_attr_put_u32(nlh, NHA_RES_GROUP_IDLE_TIMER, nh.res_idle_timer);
        mnl_attr_put_u32(nlh, NHA_RES_GROUP_UNBALANCED_TIMER, nh.res_unbalanced_timer);
        mnl_attr_nest_end(nlh, res);
      }
    }
    if (nh.blackhole) mnl_attr_put(nlh, NHA_BLACKHOLE, 0, nullptr);
    if (nh.fdb) mnl_attr_put(nlh, NHA_FDB, 0, nullptr);
    if (!nh.dev.empty()) {
      uint32_t idx = links.Index(nh.dev);
      if (!idx) return Status::NotFound("device " + nh.dev + " does not exist");
      mnl_attr_put_u32(nlh, NHA_OIF, idx);
    }
    if (!nh.gateway.empty()) {
      mnl_attr_put(nlh, NHA_GATEWAY, nh.gateway.family == AF_INET6 ? 16 : 4, nh.gateway.addr);
    }
    for (const RawAttr& a : nh.raw) {
      if (nlh->nlmsg_len + MNL_ATTR_HDRLEN + a.data.size() > kMaxMessage) {
        return Status::InvalidArgument("nexthop too large for one message");
      }
      mnl_attr_put(nlh, a.type, a.data.size(), a.data.data());
    }
  }
  buf->append(mem, nlh->nlmsg_len);
  return Status::OK();
}

void EncodeNexthopDump(uint32_t seq, std::string* buf) {
  alignas(nlmsghdr) char mem[128];
  std::memset(mem, 0, sizeof mem);
  nlmsghdr* nlh = mnl_nlmsg_put_header(mem);
  nlh->nlmsg_type = RTM_GETNEXTHOP;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  mnl_nlmsg_put_extra_header(nlh, sizeof(nhmsg));
  buf->append(mem, nlh->nlmsg_len);
}

}  // namespace netsnap::kernel
