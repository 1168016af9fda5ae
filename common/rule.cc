#include "netsnap/rule.h"

#include <cstring>

#include "coding.h"

namespace netsnap {

namespace {

constexpr uint8_t kAfInet = 2;
constexpr uint8_t kAfInet6 = 10;
constexpr uint8_t kRuleValueVersion = 1;

size_t AddrSize(uint8_t family) { return family == kAfInet6 ? 16 : 4; }

// A selector prefix: its length, then the address bytes of the rule's family (zero when absent).
void PutSelectorPrefix(std::string* dst, const Prefix& p, uint8_t family) {
  uint8_t addr[16] = {};
  uint8_t len = 0;
  if (p.family != 0 && p.len != 0) {
    std::memcpy(addr, p.addr, sizeof addr);
    len = p.len;
  }
  dst->push_back(static_cast<char>(len));
  dst->append(reinterpret_cast<const char*>(addr), AddrSize(family));
}

bool GetSelectorPrefix(Reader* r, uint8_t family, Prefix* p) {
  uint8_t len;
  std::string_view b;
  if (!r->GetByte(&len) || !r->GetBytes(AddrSize(family), &b)) return false;
  if (len > AddrSize(family) * 8) return false;
  *p = Prefix{};
  if (len != 0) {
    p->family = family;
    p->len = len;
    std::memcpy(p->addr, b.data(), b.size());
  }
  return true;
}

void PutFixed16BE(std::string* dst, uint16_t v) {
  dst->push_back(static_cast<char>(v >> 8));
  dst->push_back(static_cast<char>(v & 0xff));
}

bool GetFixed16BE(Reader* r, uint16_t* v) {
  std::string_view b;
  if (!r->GetBytes(2, &b)) return false;
  *v = static_cast<uint16_t>((static_cast<uint8_t>(b[0]) << 8) | static_cast<uint8_t>(b[1]));
  return true;
}

// Signed values stored with a bias so that -1 ("absent") encodes as 0.
uint64_t Biased(int32_t v) { return static_cast<uint64_t>(static_cast<int64_t>(v) + 1); }

}  // namespace

std::string Rule::FamilyKeyPrefix(uint8_t family) {
  return {static_cast<char>(RecordKind::kRule), static_cast<char>(family)};
}

std::string Rule::Key() const {
  std::string k;
  k.reserve(64 + iif.size() + oif.size());
  k.push_back(static_cast<char>(RecordKind::kRule));
  k.push_back(static_cast<char>(family));
  PutFixed32BE(&k, priority);
  PutSelectorPrefix(&k, src, family);
  PutSelectorPrefix(&k, dst, family);
  k.push_back(static_cast<char>(tos));
  PutLengthPrefixed(&k, iif);
  PutLengthPrefixed(&k, oif);
  PutFixed32BE(&k, fwmark);
  PutFixed32BE(&k, fwmask);
  k.push_back(has_uid_range ? 1 : 0);
  PutFixed32BE(&k, uid_start);
  PutFixed32BE(&k, uid_end);
  k.push_back(static_cast<char>(ip_proto));
  PutFixed16BE(&k, sport.start);
  PutFixed16BE(&k, sport.end);
  PutFixed16BE(&k, dport.start);
  PutFixed16BE(&k, dport.end);
  PutFixed64BE(&k, tun_id);
  PutFixed32BE(&k, realms);
  k.push_back(static_cast<char>(l3mdev));
  k.push_back(invert ? 1 : 0);
  return k;
}

Record Rule::ToRecord() const {
  Record r;
  r.key = Key();
  std::string& v = r.value;
  v.push_back(static_cast<char>(kRuleValueVersion));
  v.push_back(static_cast<char>(action));
  PutVarint(&v, table);
  PutVarint(&v, goto_target);
  PutVarint(&v, Biased(suppress_prefixlen));
  PutVarint(&v, Biased(suppress_ifgroup));
  v.push_back(static_cast<char>(protocol));
  PutVarint(&v, flags);
  PutVarint(&v, raw.size());
  for (const RawAttr& a : raw) {
    PutVarint(&v, a.type);
    PutLengthPrefixed(&v, a.data);
  }
  return r;
}

Status Rule::FromRecord(RecordRef rec, Rule* out) {
  auto bad = [](const char* what) {
    return Status::Corruption(std::string("rule record: ") + what);
  };
  Rule ru;
  Reader k(rec.key);
  uint8_t kind, b;
  std::string_view s;
  if (!k.GetByte(&kind) || kind != static_cast<uint8_t>(RecordKind::kRule))
    return bad("not a rule");
  if (!k.GetByte(&ru.family) || (ru.family != kAfInet && ru.family != kAfInet6))
    return bad("family");
  if (!k.GetFixed32BE(&ru.priority) || !GetSelectorPrefix(&k, ru.family, &ru.src) ||
      !GetSelectorPrefix(&k, ru.family, &ru.dst) || !k.GetByte(&ru.tos)) {
    return bad("key");
  }
  if (!k.GetLengthPrefixed(&s)) return bad("iif");
  ru.iif.assign(s);
  if (!k.GetLengthPrefixed(&s)) return bad("oif");
  ru.oif.assign(s);
  if (!k.GetFixed32BE(&ru.fwmark) || !k.GetFixed32BE(&ru.fwmask) || !k.GetByte(&b) ||
      !k.GetFixed32BE(&ru.uid_start) || !k.GetFixed32BE(&ru.uid_end) || !k.GetByte(&ru.ip_proto) ||
      !GetFixed16BE(&k, &ru.sport.start) || !GetFixed16BE(&k, &ru.sport.end) ||
      !GetFixed16BE(&k, &ru.dport.start) || !GetFixed16BE(&k, &ru.dport.end) ||
      !k.GetFixed64BE(&ru.tun_id) || !k.GetFixed32BE(&ru.realms) || !k.GetByte(&ru.l3mdev)) {
    return bad("key");
  }
  ru.has_uid_range = b != 0;
  if (!k.GetByte(&b)) return bad("key");
  ru.invert = b != 0;
  if (!k.empty()) return bad("trailing key bytes");

  Reader v(rec.value);
  uint8_t ver;
  uint64_t sp, sg;
  uint32_t n;
  if (!v.GetByte(&ver) || ver != kRuleValueVersion) return bad("value version");
  if (!v.GetByte(&ru.action) || !v.GetVarint32(&ru.table) || !v.GetVarint32(&ru.goto_target) ||
      !v.GetVarint(&sp) || !v.GetVarint(&sg) || !v.GetByte(&ru.protocol) ||
      !v.GetVarint32(&ru.flags) || !v.GetVarint32(&n) || n > v.remaining()) {
    return bad("value");
  }
  ru.suppress_prefixlen = static_cast<int32_t>(static_cast<int64_t>(sp) - 1);
  ru.suppress_ifgroup = static_cast<int32_t>(static_cast<int64_t>(sg) - 1);
  ru.raw.resize(n);
  for (RawAttr& a : ru.raw) {
    uint32_t t;
    if (!v.GetVarint32(&t) || t > 65535 || !v.GetLengthPrefixed(&s)) return bad("raw attributes");
    a.type = static_cast<uint16_t>(t);
    a.data.assign(s);
  }
  if (!v.empty()) return bad("trailing value bytes");
  *out = std::move(ru);
  return Status::OK();
}

std::string RuleActionName(uint8_t action) {
  switch (action) {
    case 1:
      return "lookup";
    case 2:
      return "goto";
    case 3:
      return "nop";
    case 6:
      return "blackhole";
    case 7:
      return "unreachable";
    case 8:
      return "prohibit";
    default:
      return std::to_string(action);
  }
}

std::string IpProtoName(uint8_t proto) {
  switch (proto) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "ipv6-icmp";
    case 132:
      return "sctp";
    default:
      return "ipproto-" + std::to_string(proto);
  }
}

}  // namespace netsnap
