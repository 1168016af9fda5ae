#include "lookup/rule_match.h"

namespace netsnap::lookup {

namespace {

// An unset address as the kernel's rule walk sees it: all zeros of the flow's family.
Prefix HostPrefix(const Address& a, uint8_t family) {
  Prefix p;
  p.family = family;
  p.len = static_cast<uint8_t>(family == 10 ? 128 : 32);
  if (!a.empty()) std::copy(std::begin(a.addr), std::end(a.addr), std::begin(p.addr));
  return p;
}

bool InRange(const PortRange& r, uint16_t port) {
  return r.empty() || (port >= r.start && port <= r.end);
}

// The selectors fib_rule_match checks before the family's own match.
bool CommonMatch(const Rule& r, const Flow& f) {
  const std::string& iif = f.iif.empty() ? std::string("lo") : f.iif;
  if (!r.iif.empty() && r.iif != iif) return false;
  if (!r.oif.empty() && r.oif != f.oif) return false;
  // A mark without a mask compares all 32 bits (the kernel fills the mask in that case).
  uint32_t mask = r.fwmask != 0 ? r.fwmask : (r.fwmark != 0 ? 0xffffffffu : 0);
  if ((r.fwmark ^ f.mark) & mask) return false;
  if (r.tun_id != 0 || r.l3mdev != 0) return false;
  if (r.has_uid_range) {
    uint32_t uid = f.EffectiveUid();
    if (uid < r.uid_start || uid > r.uid_end) return false;
  }
  return true;
}

bool FamilyMatch(const Rule& r, const Flow& f) {
  const uint8_t family = f.dst.family;
  if (r.src.family != 0 && r.src.len > 0) {
    // IPv6 rules with a source prefix do not match a flow without a source (fib6_rule_match);
    // IPv4 compares against 0.0.0.0, which only a prefix covering it matches.
    if (family == 10 && f.src.empty()) return false;
    if (!r.src.Covers(HostPrefix(f.src, family))) return false;
  }
  if (r.dst.family != 0 && r.dst.len > 0 && !r.dst.Covers(HostPrefix(f.dst, family))) {
    return false;
  }
  // The kernel compares DSCP (the upper six bits of tos).
  if (r.tos != 0 && (r.tos & 0xfc) != (f.tos & 0xfc)) return false;
  if (r.ip_proto != 0 && r.ip_proto != f.ipproto) return false;
  return InRange(r.sport, f.sport) && InRange(r.dport, f.dport);
}

}  // namespace

bool RuleMatches(const Rule& rule, const Flow& flow) {
  if (rule.family != flow.dst.family) return false;
  bool match = CommonMatch(rule, flow) && FamilyMatch(rule, flow);
  return rule.invert ? !match : match;
}

}  // namespace netsnap::lookup
