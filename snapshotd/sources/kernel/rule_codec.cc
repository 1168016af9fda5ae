#include "sources/kernel/rule_codec.h"

#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "sources/kernel/netlink_attrs.h"

namespace netsnap::kernel {

namespace {

constexpr size_t kMaxMessage = 8192;

std::string Str(const nlattr* a) {
  const char* s = static_cast<const char*>(mnl_attr_get_payload(a));
  return std::string(s, strnlen(s, mnl_attr_get_payload_len(a)));
}

void PrefixFrom(const nlattr* a, uint8_t family, uint8_t len, Prefix* p) {
  size_t n = family == AF_INET6 ? 16 : 4;
  if (len == 0 || mnl_attr_get_payload_len(a) < n) return;
  p->family = family;
  p->len = len;
  std::memcpy(p->addr, mnl_attr_get_payload(a), n);
}

PortRange PortsFrom(const nlattr* a) {
  PortRange r;
  if (mnl_attr_get_payload_len(a) >= sizeof(fib_rule_port_range)) {
    const auto* p = static_cast<const fib_rule_port_range*>(mnl_attr_get_payload(a));
    r.start = p->start;
    r.end = p->end;
  }
  return r;
}

}  // namespace

Status DecodeRule(const nlmsghdr* nlh, Rule* out, bool* modelled) {
  *modelled = false;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(fib_rule_hdr)) {
    return Status::Corruption("rule message too short");
  }
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  if (frh->family != AF_INET && frh->family != AF_INET6) return Status::OK();
  Rule& r = *out;
  r = Rule{};
  r.family = frh->family;
  r.tos = frh->tos;
  r.table = frh->table;
  r.action = frh->action;
  r.invert = frh->flags & FIB_RULE_INVERT;
  r.flags = frh->flags & ~FIB_RULE_INVERT;
  for (const nlattr* a : Attrs(nlh, sizeof(fib_rule_hdr))) {
    switch (mnl_attr_get_type(a)) {
      case FRA_DST:
        PrefixFrom(a, r.family, frh->dst_len, &r.dst);
        break;
      case FRA_SRC:
        PrefixFrom(a, r.family, frh->src_len, &r.src);
        break;
      case FRA_IIFNAME:
        r.iif = Str(a);
        break;
      case FRA_OIFNAME:
        r.oif = Str(a);
        break;
      case FRA_GOTO:
        r.goto_target = mnl_attr_get_u32(a);
        break;
      case FRA_PRIORITY:
        r.priority = mnl_attr_get_u32(a);
        break;
      case FRA_FWMARK:
        r.fwmark = mnl_attr_get_u32(a);
        break;
      case FRA_FWMASK:
        r.fwmask = mnl_attr_get_u32(a);
        break;
      case FRA_FLOW:
        r.realms = mnl_attr_get_u32(a);
        break;
      case FRA_TUN_ID:
        r.tun_id = be64toh(mnl_attr_get_u64(a));
        break;
      case FRA_SUPPRESS_IFGROUP:
        r.suppress_ifgroup = static_cast<int32_t>(mnl_attr_get_u32(a));
        break;
      case FRA_SUPPRESS_PREFIXLEN:
        r.suppress_prefixlen = static_cast<int32_t>(mnl_attr_get_u32(a));
        break;
      case FRA_TABLE:
        r.table = mnl_attr_get_u32(a);
        break;
      case FRA_L3MDEV:
        r.l3mdev = mnl_attr_get_u8(a);
        break;
      case FRA_UID_RANGE:
        if (mnl_attr_get_payload_len(a) >= sizeof(fib_rule_uid_range)) {
          const auto* u = static_cast<const fib_rule_uid_range*>(mnl_attr_get_payload(a));
          r.has_uid_range = true;
          r.uid_start = u->start;
          r.uid_end = u->end;
        }
        break;
      case FRA_PROTOCOL:
        r.protocol = mnl_attr_get_u8(a);
        break;
      case FRA_IP_PROTO:
        r.ip_proto = mnl_attr_get_u8(a);
        break;
      case FRA_SPORT_RANGE:
        r.sport = PortsFrom(a);
        break;
      case FRA_DPORT_RANGE:
        r.dport = PortsFrom(a);
        break;
      case FRA_PAD:
        break;
      default:
        r.raw.push_back({a->nla_type, std::string(static_cast<const char*>(mnl_attr_get_payload(a)),
                                                  mnl_attr_get_payload_len(a))});
    }
  }
  std::stable_sort(r.raw.begin(), r.raw.end(),
                   [](const RawAttr& x, const RawAttr& y) { return x.type < y.type; });
  *modelled = true;
  return Status::OK();
}

Status EncodeRule(const Rule& r, uint16_t type, uint16_t flags, uint32_t seq, std::string* buf) {
  alignas(nlmsghdr) char mem[kMaxMessage];
  std::memset(mem, 0, sizeof(nlmsghdr) + sizeof(fib_rule_hdr));
  nlmsghdr* nlh = mnl_nlmsg_put_header(mem);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = r.family;
  frh->tos = r.tos;
  frh->flags = r.invert ? FIB_RULE_INVERT : 0;
  const size_t alen = r.family == AF_INET6 ? 16 : 4;
  if (r.src.family && r.src.len) {
    frh->src_len = r.src.len;
    mnl_attr_put(nlh, FRA_SRC, alen, r.src.addr);
  }
  if (r.dst.family && r.dst.len) {
    frh->dst_len = r.dst.len;
    mnl_attr_put(nlh, FRA_DST, alen, r.dst.addr);
  }
  mnl_attr_put_u32(nlh, FRA_PRIORITY, r.priority);
  if (!r.iif.empty()) mnl_attr_put_strz(nlh, FRA_IIFNAME, r.iif.c_str());
  if (!r.oif.empty()) mnl_attr_put_strz(nlh, FRA_OIFNAME, r.oif.c_str());
  if (r.fwmark || r.fwmask) {
    mnl_attr_put_u32(nlh, FRA_FWMARK, r.fwmark);
    if (r.fwmask) mnl_attr_put_u32(nlh, FRA_FWMASK, r.fwmask);
  }
  if (r.realms) mnl_attr_put_u32(nlh, FRA_FLOW, r.realms);
  if (r.tun_id) mnl_attr_put_u64(nlh, FRA_TUN_ID, htobe64(r.tun_id));
  if (r.l3mdev) mnl_attr_put_u8(nlh, FRA_L3MDEV, r.l3mdev);
  if (r.has_uid_range) {
    fib_rule_uid_range u{r.uid_start, r.uid_end};
    mnl_attr_put(nlh, FRA_UID_RANGE, sizeof u, &u);
  }
  if (r.ip_proto) mnl_attr_put_u8(nlh, FRA_IP_PROTO, r.ip_proto);
  if (!r.sport.empty()) {
    fib_rule_port_range p{r.sport.start, r.sport.end};
    mnl_attr_put(nlh, FRA_SPORT_RANGE, sizeof p, &p);
  }
  if (!r.dport.empty()) {
    fib_rule_port_range p{r.dport.start, r.dport.end};
    mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof p, &p);
  }
  if (type == RTM_NEWRULE) {
    frh->action = r.action;
    if (r.action == FR_ACT_TO_TBL && !r.l3mdev) {
      frh->table = r.table < 256 ? static_cast<uint8_t>(r.table) : uint8_t{RT_TABLE_UNSPEC};
      mnl_attr_put_u32(nlh, FRA_TABLE, r.table);
    }
    if (r.action == FR_ACT_GOTO) mnl_attr_put_u32(nlh, FRA_GOTO, r.goto_target);
    if (r.suppress_prefixlen >= 0) {
      mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, static_cast<uint32_t>(r.suppress_prefixlen));
    }
    if (r.suppress_ifgroup >= 0) {
      mnl_attr_put_u32(nlh, FRA_SUPPRESS_IFGROUP, static_cast<uint32_t>(r.suppress_ifgroup));
    }
    mnl_attr_put_u8(nlh, FRA_PROTOCOL, r.protocol);
    for (const RawAttr& a : r.raw) {
      if (nlh->nlmsg_len + MNL_ATTR_HDRLEN + a.data.size() > kMaxMessage) {
        return Status::InvalidArgument("rule too large for one message");
      }
      mnl_attr_put(nlh, a.type, a.data.size(), a.data.data());
    }
  }
  buf->append(mem, nlh->nlmsg_len);
  return Status::OK();
}

void EncodeRuleDump(uint8_t family, uint32_t seq, std::string* buf) {
  alignas(nlmsghdr) char mem[128];
  std::memset(mem, 0, sizeof mem);
  nlmsghdr* nlh = mnl_nlmsg_put_header(mem);
  nlh->nlmsg_type = RTM_GETRULE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = family;
  buf->append(mem, nlh->nlmsg_len);
}

}  // namespace netsnap::kernel
