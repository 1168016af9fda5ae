#include "netsnap/resolver.h"

#include "coding.h"

namespace netsnap {

namespace {

constexpr uint8_t kValueVersion = 1;

void PutStrings(std::string* dst, const std::vector<std::string>& v) {
  PutVarint(dst, v.size());
  for (const std::string& s : v) PutLengthPrefixed(dst, s);
}

bool GetString(Reader* r, std::string* out) {
  std::string_view s;
  if (!r->GetLengthPrefixed(&s)) return false;
  out->assign(s);
  return true;
}

bool GetStrings(Reader* r, std::vector<std::string>* out) {
  uint64_t n;
  if (!r->GetVarint(&n) || n > r->remaining()) return false;
  out->resize(n);
  for (std::string& s : *out) {
    if (!GetString(r, &s)) return false;
  }
  return true;
}

// Checks the kind byte and the value version; leaves `body` at the first field.
Status Open(RecordRef rec, RecordKind kind, const char* what, std::string_view* name,
            Reader* body) {
  if (rec.key.empty() || KindOfKey(rec.key) != kind) {
    return Status::Corruption(std::string(what) + ": wrong record kind");
  }
  *name = rec.key.substr(1);
  uint8_t version;
  if (!body->GetByte(&version) || version != kValueVersion) {
    return Status::Corruption(std::string(what) + ": unknown value version");
  }
  return Status::OK();
}

std::string KindKey(RecordKind kind, std::string_view name) {
  std::string k;
  k.reserve(1 + name.size());
  k.push_back(static_cast<char>(kind));
  k.append(name);
  return k;
}

}  // namespace

std::string_view ResolverRuleTypeName(ResolverRuleType type) {
  switch (type) {
    case ResolverRuleType::kForward:
      return "forward";
    case ResolverRuleType::kLocal:
      return "local";
    case ResolverRuleType::kSystem:
      return "system";
    case ResolverRuleType::kAddress:
      return "address";
    case ResolverRuleType::kStub:
      return "stub";
  }
  return "unknown";
}

std::optional<ResolverRuleType> ResolverRuleTypeFromName(std::string_view name) {
  for (int t = 1; t <= 5; ++t) {
    auto type = static_cast<ResolverRuleType>(t);
    if (ResolverRuleTypeName(type) == name) return type;
  }
  return std::nullopt;
}

// Resolver rules ---------------------------------------------------------------------------

std::string ResolverRule::KeyFor(std::string_view domain) {
  return KindKey(RecordKind::kResolverRule, domain);
}
std::string ResolverRule::Key() const { return KeyFor(domain); }

Record ResolverRule::ToRecord() const {
  Record r;
  r.key = Key();
  std::string& v = r.value;
  v.push_back(static_cast<char>(kValueVersion));
  v.push_back(static_cast<char>(type));
  PutVarint(&v, targets.size());
  for (const ResolverTarget& t : targets) {
    PutLengthPrefixed(&v, t.address);
    PutVarint(&v, t.port);
    PutLengthPrefixed(&v, t.extra);
  }
  PutStrings(&v, options);
  PutLengthPrefixed(&v, origin);
  return r;
}

Status ResolverRule::FromRecord(RecordRef rec, ResolverRule* out) {
  Reader r(rec.value);
  std::string_view domain;
  NETSNAP_RETURN_IF_ERROR(Open(rec, RecordKind::kResolverRule, "resolver rule", &domain, &r));
  ResolverRule x;
  x.domain.assign(domain);
  uint8_t type;
  uint64_t n;
  if (!r.GetByte(&type) || type < 1 || type > 5 || !r.GetVarint(&n) || n > r.remaining()) {
    return Status::Corruption("resolver rule: bad type or target count");
  }
  x.type = static_cast<ResolverRuleType>(type);
  x.targets.resize(n);
  for (ResolverTarget& t : x.targets) {
    uint64_t port;
    if (!GetString(&r, &t.address) || !r.GetVarint(&port) || port > 65535 ||
        !GetString(&r, &t.extra)) {
      return Status::Corruption("resolver rule: bad target");
    }
    t.port = static_cast<uint16_t>(port);
  }
  if (!GetStrings(&r, &x.options) || !GetString(&r, &x.origin) || !r.empty()) {
    return Status::Corruption("resolver rule: bad options or origin");
  }
  *out = std::move(x);
  return Status::OK();
}

// Resolver settings ------------------------------------------------------------------------

std::string ResolverSetting::KeyFor(std::string_view name) {
  return KindKey(RecordKind::kResolverSetting, name);
}
std::string ResolverSetting::Key() const { return KeyFor(name); }

Record ResolverSetting::ToRecord() const {
  Record r;
  r.key = Key();
  r.value.push_back(static_cast<char>(kValueVersion));
  PutStrings(&r.value, values);
  PutLengthPrefixed(&r.value, origin);
  return r;
}

Status ResolverSetting::FromRecord(RecordRef rec, ResolverSetting* out) {
  Reader r(rec.value);
  std::string_view name;
  NETSNAP_RETURN_IF_ERROR(Open(rec, RecordKind::kResolverSetting, "resolver setting", &name, &r));
  ResolverSetting x;
  x.name.assign(name);
  if (!GetStrings(&r, &x.values) || !GetString(&r, &x.origin) || !r.empty()) {
    return Status::Corruption("resolver setting: bad value");
  }
  *out = std::move(x);
  return Status::OK();
}

// Files ------------------------------------------------------------------------------------

std::string ConfigFile::KeyFor(std::string_view path) { return KindKey(RecordKind::kFile, path); }
std::string ConfigFile::Key() const { return KeyFor(path); }

Record ConfigFile::ToRecord() const {
  Record r;
  r.key = Key();
  std::string& v = r.value;
  v.reserve(content.size() + symlink_target.size() + error.size() + 32);
  v.push_back(static_cast<char>(kValueVersion));
  v.push_back(has_content ? 1 : 0);
  PutVarint(&v, mode);
  PutVarint(&v, uid);
  PutVarint(&v, gid);
  PutLengthPrefixed(&v, symlink_target);
  PutLengthPrefixed(&v, error);
  PutLengthPrefixed(&v, content);
  return r;
}

Status ConfigFile::FromRecord(RecordRef rec, ConfigFile* out) {
  Reader r(rec.value);
  std::string_view path;
  NETSNAP_RETURN_IF_ERROR(Open(rec, RecordKind::kFile, "file", &path, &r));
  ConfigFile x;
  x.path.assign(path);
  uint8_t has;
  if (!r.GetByte(&has) || has > 1 || !r.GetVarint32(&x.mode) || !r.GetVarint32(&x.uid) ||
      !r.GetVarint32(&x.gid) || !GetString(&r, &x.symlink_target) || !GetString(&r, &x.error) ||
      !GetString(&r, &x.content) || !r.empty()) {
    return Status::Corruption("file: bad value");
  }
  x.has_content = has == 1;
  *out = std::move(x);
  return Status::OK();
}

}  // namespace netsnap
