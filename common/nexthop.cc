#include "netsnap/nexthop.h"

#include <cstring>

#include "coding.h"

namespace netsnap {

namespace {

constexpr uint8_t kNexthopValueVersion = 1;

void PutAddress(std::string* dst, const Address& a) {
  dst->push_back(static_cast<char>(a.family));
  if (a.family) dst->append(reinterpret_cast<const char*>(a.addr), a.family == 10 ? 16 : 4);
}

bool GetAddress(Reader* r, Address* a) {
  if (!r->GetByte(&a->family)) return false;
  if (a->family == 0) return true;
  if (a->family != 2 && a->family != 10) return false;
  std::string_view b;
  if (!r->GetBytes(a->family == 10 ? 16 : 4, &b)) return false;
  std::memcpy(a->addr, b.data(), b.size());
  return true;
}

}  // namespace

std::string Nexthop::KeyOf(uint32_t id) {
  std::string k;
  k.push_back(static_cast<char>(RecordKind::kNexthop));
  PutFixed32BE(&k, id);
  return k;
}

std::string Nexthop::Key() const { return KeyOf(id); }

Record Nexthop::ToRecord() const {
  Record r;
  r.key = Key();
  std::string& v = r.value;
  v.push_back(static_cast<char>(kNexthopValueVersion));
  v.push_back(static_cast<char>(family));
  v.push_back(static_cast<char>(protocol));
  v.push_back(static_cast<char>(scope));
  PutVarint(&v, flags);
  PutAddress(&v, gateway);
  PutLengthPrefixed(&v, dev);
  v.push_back(static_cast<char>((blackhole ? 1 : 0) | (fdb ? 2 : 0)));
  PutVarint(&v, group.size());
  for (const NexthopGroupMember& m : group) {
    PutVarint(&v, m.id);
    PutVarint(&v, m.weight);
  }
  PutVarint(&v, group_type);
  PutVarint(&v, res_buckets);
  PutVarint(&v, res_idle_timer);
  PutVarint(&v, res_unbalanced_timer);
  PutVarint(&v, raw.size());
  for (const RawAttr& a : raw) {
    PutVarint(&v, a.type);
    PutLengthPrefixed(&v, a.data);
  }
  return r;
}

Status Nexthop::FromRecord(RecordRef rec, Nexthop* out) {
  auto bad = [](const char* what) {
    return Status::Corruption(std::string("nexthop record: ") + what);
  };
  Nexthop nh;
  Reader k(rec.key);
  uint8_t kind;
  if (!k.GetByte(&kind) || kind != static_cast<uint8_t>(RecordKind::kNexthop)) {
    return bad("not a nexthop");
  }
  if (!k.GetFixed32BE(&nh.id) || !k.empty()) return bad("key");

  Reader v(rec.value);
  uint8_t ver, bits;
  uint32_t n, t;
  std::string_view s;
  if (!v.GetByte(&ver) || ver != kNexthopValueVersion) return bad("value version");
  if (!v.GetByte(&nh.family) || !v.GetByte(&nh.protocol) || !v.GetByte(&nh.scope) ||
      !v.GetVarint32(&nh.flags) || !GetAddress(&v, &nh.gateway) || !v.GetLengthPrefixed(&s) ||
      !v.GetByte(&bits) || !v.GetVarint32(&n) || n > v.remaining()) {
    return bad("value");
  }
  nh.dev.assign(s);
  nh.blackhole = bits & 1;
  nh.fdb = bits & 2;
  nh.group.resize(n);
  for (NexthopGroupMember& m : nh.group) {
    if (!v.GetVarint32(&m.id) || !v.GetVarint32(&t) || t > 65535) return bad("group");
    m.weight = static_cast<uint16_t>(t);
  }
  uint32_t gt, buckets;
  if (!v.GetVarint32(&gt) || gt > 65535 || !v.GetVarint32(&buckets) || buckets > 65535 ||
      !v.GetVarint32(&nh.res_idle_timer) || !v.GetVarint32(&nh.res_unbalanced_timer) ||
      !v.GetVarint32(&n) || n > v.remaining()) {
    return bad("value");
  }
  nh.group_type = static_cast<uint16_t>(gt);
  nh.res_buckets = static_cast<uint16_t>(buckets);
  nh.raw.resize(n);
  for (RawAttr& a : nh.raw) {
    if (!v.GetVarint32(&t) || t > 65535 || !v.GetLengthPrefixed(&s)) return bad("raw attributes");
    a.type = static_cast<uint16_t>(t);
    a.data.assign(s);
  }
  if (!v.empty()) return bad("trailing value bytes");
  *out = std::move(nh);
  return Status::OK();
}

}  // namespace netsnap
