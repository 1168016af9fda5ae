#include "netsnap/route.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "coding.h"
#include "netsnap/route_protocols.h"

namespace netsnap {

namespace {

constexpr uint8_t kAfInet = 2;
constexpr uint8_t kAfInet6 = 10;
constexpr uint8_t kRouteValueVersion = 1;

size_t AddrSize(uint8_t family) { return family == kAfInet6 ? 16 : 4; }

void PutAddress(std::string* dst, const Address& a) {
  dst->push_back(static_cast<char>(a.family));
  if (a.family) dst->append(reinterpret_cast<const char*>(a.addr), AddrSize(a.family));
}

bool GetAddress(Reader* r, Address* a) {
  if (!r->GetByte(&a->family)) return false;
  if (a->family == 0) return true;
  if (a->family != kAfInet && a->family != kAfInet6) return false;
  std::string_view b;
  if (!r->GetBytes(AddrSize(a->family), &b)) return false;
  std::memcpy(a->addr, b.data(), b.size());
  return true;
}

void PutPrefixKey(std::string* dst, const Prefix& p, uint8_t family) {
  Prefix q = p;
  q.family = family;
  dst->append(reinterpret_cast<const char*>(q.addr), AddrSize(family));
  dst->push_back(static_cast<char>(q.len));
}

bool GetPrefixKey(Reader* r, uint8_t family, Prefix* p) {
  std::string_view b;
  if (!r->GetBytes(AddrSize(family), &b) || !r->GetByte(&p->len)) return false;
  p->family = family;
  std::memcpy(p->addr, b.data(), b.size());
  return p->len <= AddrSize(family) * 8;
}

}  // namespace

// Addresses and prefixes -------------------------------------------------------------------

std::string Address::ToString() const {
  if (family == 0) return "";
  if (family == kAfInet) {
    // inet_ntop prints IPv4 with sprintf: about a tenth of rendering a whole version (perf).
    // Digit by digit, so the compiler sees the bound: at most 4 octets of 3 digits and 3 dots
    // (std::to_chars may return its end pointer, and GCC -O3 then warns of a write past buf).
    char buf[15];
    size_t n = 0;
    for (int i = 0; i < 4; ++i) {
      if (i) buf[n++] = '.';
      unsigned v = addr[i];
      if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
      if (v >= 10) buf[n++] = static_cast<char>('0' + v / 10 % 10);
      buf[n++] = static_cast<char>('0' + v % 10);
    }
    return std::string(buf, n);
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == kAfInet6 ? AF_INET6 : AF_INET, addr, buf, sizeof buf);
  return buf;
}

Status Address::Parse(std::string_view text, Address* out) {
  std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.addr) == 1) {
    a.family = kAfInet;
  } else if (inet_pton(AF_INET6, s.c_str(), a.addr) == 1) {
    a.family = kAfInet6;
  } else {
    return Status::InvalidArgument("not an IP address: '" + s + "'");
  }
  *out = a;
  return Status::OK();
}

bool Address::operator==(const Address& o) const {
  return family == o.family && std::memcmp(addr, o.addr, AddrSize(family)) == 0;
}

std::string Prefix::ToString() const {
  if (family == 0) return "";
  if (len == 0) return "default";
  Address a;
  a.family = family;
  std::memcpy(a.addr, addr, sizeof addr);
  std::string s = a.ToString();
  if (len != addr_size() * 8) s += "/" + std::to_string(len);
  return s;
}

Status Prefix::Parse(std::string_view text, Prefix* out) {
  Prefix p;
  if (text == "default" || text == "0.0.0.0/0") {
    p.family = kAfInet;
    *out = p;
    return Status::OK();
  }
  if (text == "::/0") {
    p.family = kAfInet6;
    *out = p;
    return Status::OK();
  }
  size_t slash = text.find('/');
  Address a;
  NETSNAP_RETURN_IF_ERROR(Address::Parse(text.substr(0, slash), &a));
  p.family = a.family;
  std::memcpy(p.addr, a.addr, sizeof p.addr);
  p.len = static_cast<uint8_t>(p.addr_size() * 8);
  if (slash != std::string_view::npos) {
    std::string_view l = text.substr(slash + 1);
    unsigned v = 0;
    if (l.empty() || l.size() > 3)
      return Status::InvalidArgument("bad prefix length in '" + std::string(text) + "'");
    for (char c : l) {
      if (c < '0' || c > '9')
        return Status::InvalidArgument("bad prefix length in '" + std::string(text) + "'");
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > p.addr_size() * 8)
      return Status::InvalidArgument("prefix length too long in '" + std::string(text) + "'");
    p.len = static_cast<uint8_t>(v);
  }
  // Clear host bits so that equal prefixes compare equal.
  for (size_t bit = p.len; bit < p.addr_size() * 8; ++bit) {
    p.addr[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  *out = p;
  return Status::OK();
}

bool Prefix::Covers(const Prefix& o) const {
  if (family != o.family || len > o.len) return false;
  size_t full = len / 8;
  if (std::memcmp(addr, o.addr, full) != 0) return false;
  if (len % 8 == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - len % 8));
  return (addr[full] & mask) == (o.addr[full] & mask);
}

bool Prefix::operator==(const Prefix& o) const {
  return family == o.family && len == o.len &&
         std::memcmp(addr, o.addr, family ? addr_size() : 0) == 0;
}

// Route records ----------------------------------------------------------------------------

bool Route::TableOfKey(std::string_view key, uint32_t* table) {
  Reader k(key);
  uint8_t kind, family;
  return k.GetByte(&kind) && kind == static_cast<uint8_t>(RecordKind::kRoute) &&
         k.GetByte(&family) && k.GetFixed32BE(table);
}

std::string Route::FamilyKeyPrefix(uint8_t family) {
  return {static_cast<char>(RecordKind::kRoute), static_cast<char>(family)};
}

std::string Route::DestinationKeyPrefix(uint32_t table, const Prefix& dst) {
  Prefix masked = dst;
  for (size_t bit = dst.len; bit < dst.addr_size() * 8; ++bit) {
    masked.addr[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  std::string k = FamilyKeyPrefix(dst.family);
  PutFixed32BE(&k, table);
  PutPrefixKey(&k, masked, dst.family);
  return k;
}

std::string Route::Key() const {
  std::string k;
  k.reserve(48);
  k.push_back(static_cast<char>(RecordKind::kRoute));
  k.push_back(static_cast<char>(family));
  PutFixed32BE(&k, table);
  PutPrefixKey(&k, dst, family);
  k.push_back(static_cast<char>(tos));
  PutFixed32BE(&k, metric);
  if (family == kAfInet6) PutPrefixKey(&k, src, family);
  return k;
}

Record Route::ToRecord() const {
  Record r;
  r.key = Key();
  std::string& v = r.value;
  v.reserve(24 + dev.size());
  v.push_back(static_cast<char>(kRouteValueVersion));
  v.push_back(static_cast<char>(type));
  v.push_back(static_cast<char>(protocol));
  v.push_back(static_cast<char>(scope));
  PutVarint(&v, flags);
  PutAddress(&v, gateway);
  PutLengthPrefixed(&v, dev);
  PutAddress(&v, prefsrc);
  PutVarint(&v, nhid);
  PutVarint(&v, nexthops.size());
  for (const RouteNexthop& nh : nexthops) {
    PutAddress(&v, nh.gateway);
    PutLengthPrefixed(&v, nh.dev);
    PutVarint(&v, nh.weight);
    PutVarint(&v, nh.flags);
  }
  PutVarint(&v, metrics.size());
  for (const auto& [t, val] : metrics) {
    PutVarint(&v, t);
    PutVarint(&v, val);
  }
  PutVarint(&v, raw.size());
  for (const RawAttr& a : raw) {
    PutVarint(&v, a.type);
    PutLengthPrefixed(&v, a.data);
  }
  return r;
}

Status Route::FromRecord(RecordRef rec, Route* out) {
  Route rt;
  Reader k(rec.key);
  uint8_t kind;
  auto bad = [](const char* what) {
    return Status::Corruption(std::string("route record: ") + what);
  };
  if (!k.GetByte(&kind) || kind != static_cast<uint8_t>(RecordKind::kRoute))
    return bad("not a route");
  if (!k.GetByte(&rt.family) || (rt.family != kAfInet && rt.family != kAfInet6))
    return bad("family");
  if (!k.GetFixed32BE(&rt.table) || !GetPrefixKey(&k, rt.family, &rt.dst) || !k.GetByte(&rt.tos) ||
      !k.GetFixed32BE(&rt.metric)) {
    return bad("key");
  }
  if (rt.family == kAfInet6) {
    if (!GetPrefixKey(&k, rt.family, &rt.src)) return bad("source prefix");
    if (rt.src.len == 0) rt.src = Prefix{};
  }
  if (!k.empty()) return bad("trailing key bytes");

  Reader v(rec.value);
  uint8_t ver;
  uint32_t n;
  std::string_view s;
  if (!v.GetByte(&ver) || ver != kRouteValueVersion) return bad("value version");
  if (!v.GetByte(&rt.type) || !v.GetByte(&rt.protocol) || !v.GetByte(&rt.scope) ||
      !v.GetVarint32(&rt.flags) || !GetAddress(&v, &rt.gateway) || !v.GetLengthPrefixed(&s)) {
    return bad("value");
  }
  rt.dev.assign(s);
  if (!GetAddress(&v, &rt.prefsrc) || !v.GetVarint32(&rt.nhid) || !v.GetVarint32(&n) ||
      n > v.remaining()) {
    return bad("value");
  }
  rt.nexthops.resize(n);
  for (RouteNexthop& nh : rt.nexthops) {
    uint32_t w;
    if (!GetAddress(&v, &nh.gateway) || !v.GetLengthPrefixed(&s) || !v.GetVarint32(&w) ||
        w > 65535 || !v.GetVarint32(&nh.flags)) {
      return bad("next hop");
    }
    nh.dev.assign(s);
    nh.weight = static_cast<uint16_t>(w);
  }
  if (!v.GetVarint32(&n) || n > v.remaining()) return bad("metrics");
  rt.metrics.resize(n);
  for (auto& [t, val] : rt.metrics) {
    uint32_t tt;
    if (!v.GetVarint32(&tt) || tt > 65535 || !v.GetVarint32(&val)) return bad("metrics");
    t = static_cast<uint16_t>(tt);
  }
  if (!v.GetVarint32(&n) || n > v.remaining()) return bad("raw attributes");
  rt.raw.resize(n);
  for (RawAttr& a : rt.raw) {
    uint32_t tt;
    if (!v.GetVarint32(&tt) || tt > 65535 || !v.GetLengthPrefixed(&s)) return bad("raw attributes");
    a.type = static_cast<uint16_t>(tt);
    a.data.assign(s);
  }
  if (!v.empty()) return bad("trailing value bytes");
  *out = std::move(rt);
  return Status::OK();
}

bool Route::ValueIsVia(std::string_view value) {
  Reader v(value);
  uint8_t ver, type, protocol, scope;
  uint32_t flags, nhid, n;
  Address gateway, prefsrc;
  std::string_view dev;
  if (!v.GetByte(&ver) || ver != kRouteValueVersion || !v.GetByte(&type) || !v.GetByte(&protocol) ||
      !v.GetByte(&scope) || !v.GetVarint32(&flags) || !GetAddress(&v, &gateway)) {
    return false;
  }
  if (!gateway.empty()) return true;
  return v.GetLengthPrefixed(&dev) && GetAddress(&v, &prefsrc) && v.GetVarint32(&nhid) &&
         v.GetVarint32(&n) && (nhid != 0 || n > 0);
}

// Names ------------------------------------------------------------------------------------

std::string TableName(uint32_t table) {
  switch (table) {
    case 253:
      return "default";
    case 254:
      return "main";
    case 255:
      return "local";
    default:
      return std::to_string(table);
  }
}

std::string ProtocolName(uint8_t proto) { return CurrentRouteProtocols()->Name(proto); }

std::string ScopeName(uint8_t scope) {
  switch (scope) {
    case 0:
      return "global";
    case 200:
      return "site";
    case 253:
      return "link";
    case 254:
      return "host";
    case 255:
      return "nowhere";
    default:
      return std::to_string(scope);
  }
}

std::string RouteTypeName(uint8_t type) {
  static const char* const kNames[] = {"unspec",   "unicast",   "local",     "broadcast",
                                       "anycast",  "multicast", "blackhole", "unreachable",
                                       "prohibit", "throw",     "nat",       "xresolve"};
  if (type < sizeof kNames / sizeof kNames[0]) return kNames[type];
  return std::to_string(type);
}

}  // namespace netsnap
