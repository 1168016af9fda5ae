#include "api/rollback_scope.h"

#include <boost/json/array.hpp>
#include <charconv>

#include "netsnap/render.h"

namespace netsnap::api {

namespace json = boost::json;

namespace {

Status ParseTable(const json::value& v, uint32_t* out) {
  if (v.is_int64() && v.as_int64() >= 0 && v.as_int64() <= UINT32_MAX) {
    *out = static_cast<uint32_t>(v.as_int64());
    return Status::OK();
  }
  if (!v.is_string()) return Status::InvalidArgument("scope.tables: expected names or numbers");
  std::string_view s = v.as_string();
  if (s == "main")
    *out = 254;
  else if (s == "local")
    *out = 255;
  else if (s == "default")
    *out = 253;
  else {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec != std::errc() || end != s.data() + s.size()) {
      return Status::InvalidArgument("scope.tables: unknown table '" + std::string(s) + "'");
    }
  }
  return Status::OK();
}

// Calls fn for each element of the array o[name], which must be an array when present.
template <typename Fn>
Status EachOf(const json::object& o, const char* name, Fn fn) {
  const json::value* v = o.if_contains(name);
  if (!v) return Status::OK();
  if (!v->is_array())
    return Status::InvalidArgument(std::string("scope.") + name + ": expected a list");
  for (const json::value& e : v->as_array()) NETSNAP_RETURN_IF_ERROR(fn(e));
  return Status::OK();
}

Status StringOf(const json::value& v, const char* what, std::string* out) {
  if (!v.is_string())
    return Status::InvalidArgument(std::string("scope.") + what + ": expected strings");
  *out = std::string(v.as_string());
  return Status::OK();
}

std::string KeyField(RecordRef rec, std::initializer_list<const char*> names) {
  json::object key = RecordKeyToJson(rec);
  for (const char* n : names) {
    if (const json::value* v = key.if_contains(n); v && v->is_string()) {
      return std::string(v->as_string());
    }
  }
  return "";
}

}  // namespace

Status RollbackScope::FromJson(const json::object& o, RollbackScope* out) {
  *out = RollbackScope();
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    if (k != "kinds" && k != "tables" && k != "prefixes" && k != "domains" && k != "files") {
      return Status::InvalidArgument("scope: unknown field '" + std::string(k) + "'");
    }
  }
  NETSNAP_RETURN_IF_ERROR(EachOf(o, "kinds", [&](const json::value& v) {
    std::string s;
    NETSNAP_RETURN_IF_ERROR(StringOf(v, "kinds", &s));
    std::optional<RecordKind> kind = RecordKindFromName(s);
    if (!kind) return Status::InvalidArgument("scope.kinds: unknown kind '" + s + "'");
    out->kinds.insert(*kind);
    return Status::OK();
  }));
  NETSNAP_RETURN_IF_ERROR(EachOf(o, "tables", [&](const json::value& v) {
    uint32_t t = 0;
    NETSNAP_RETURN_IF_ERROR(ParseTable(v, &t));
    out->tables.insert(t);
    return Status::OK();
  }));
  NETSNAP_RETURN_IF_ERROR(EachOf(o, "prefixes", [&](const json::value& v) {
    std::string s;
    NETSNAP_RETURN_IF_ERROR(StringOf(v, "prefixes", &s));
    Prefix p;
    NETSNAP_RETURN_IF_ERROR(Prefix::Parse(s, &p).WithContext("scope.prefixes"));
    out->prefixes.push_back(p);
    return Status::OK();
  }));
  NETSNAP_RETURN_IF_ERROR(EachOf(o, "domains", [&](const json::value& v) {
    std::string s;
    NETSNAP_RETURN_IF_ERROR(StringOf(v, "domains", &s));
    out->domains.insert(s);
    return Status::OK();
  }));
  return EachOf(o, "files", [&](const json::value& v) {
    std::string s;
    NETSNAP_RETURN_IF_ERROR(StringOf(v, "files", &s));
    out->files.insert(s);
    return Status::OK();
  });
}

bool RollbackScope::Contains(RecordRef rec) const {
  RecordKind kind = KindOfKey(rec.key);
  if (!kinds.empty() && !kinds.count(kind)) return false;
  if (!tables.empty() || !prefixes.empty()) {
    Route r;
    if (kind != RecordKind::kRoute || !Route::FromRecord(rec, &r).ok()) return false;
    if (!tables.empty() && !tables.count(r.table)) return false;
    if (!prefixes.empty()) {
      bool covered = false;
      for (const Prefix& p : prefixes) covered = covered || p.Covers(r.dst);
      if (!covered) return false;
    }
  }
  if (!domains.empty() && !domains.count(KeyField(rec, {"domain"}))) return false;
  if (!files.empty() && !files.count(KeyField(rec, {"file", "path"}))) return false;
  return true;
}

Snapshot RollbackScope::Filter(const Snapshot& snap) const {
  if (kinds.empty() && tables.empty() && prefixes.empty() && domains.empty() && files.empty()) {
    return snap;
  }
  SnapshotBuilder b;
  for (RecordRef r : snap) {
    if (Contains(r)) b.Add(r.key, r.value);
  }
  Snapshot out;
  b.Finish(&out);  // keys come from a snapshot: ascending and unique
  return out;
}

}  // namespace netsnap::api
