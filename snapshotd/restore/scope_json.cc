// Scopes as API requests write them.
#include <boost/json.hpp>
#include <charconv>

#include "restore/scope.h"

namespace netsnap {

namespace json = boost::json;

namespace {

Status ParseTable(const json::value& v, uint32_t* out) {
  if (v.is_int64() && v.as_int64() >= 0 && v.as_int64() <= UINT32_MAX) {
    *out = static_cast<uint32_t>(v.as_int64());
    return Status::OK();
  }
  if (!v.is_string()) return Status::InvalidArgument("scope.tables: expected names or numbers");
  std::string_view s = v.as_string();
  if (s == "main") {
    *out = 254;
  } else if (s == "local") {
    *out = 255;
  } else if (s == "default") {
    *out = 253;
  } else {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec != std::errc() || end != s.data() + s.size()) {
      return Status::InvalidArgument("scope.tables: unknown table '" + std::string(s) + "'");
    }
  }
  return Status::OK();
}

// Calls fn with each string of the list o[name], which must be a list when present.
template <typename Fn>
Status EachString(const json::object& o, const char* name, Fn fn) {
  const json::value* v = o.if_contains(name);
  if (!v) return Status::OK();
  if (!v->is_array()) {
    return Status::InvalidArgument(std::string("scope.") + name + ": expected a list");
  }
  for (const json::value& e : v->as_array()) {
    if (!e.is_string()) {
      return Status::InvalidArgument(std::string("scope.") + name + ": expected strings");
    }
    NETSNAP_RETURN_IF_ERROR(fn(std::string(e.as_string())));
  }
  return Status::OK();
}

}  // namespace

Status ScopeFromJson(const json::object& o, RollbackScope* out) {
  *out = RollbackScope();
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    if (k != "kinds" && k != "tables" && k != "prefixes" && k != "domains" && k != "files") {
      return Status::InvalidArgument("scope: unknown field '" + std::string(k) +
                                     "' (kinds, tables, prefixes, domains, files)");
    }
  }
  NETSNAP_RETURN_IF_ERROR(EachString(o, "kinds", [&](const std::string& s) {
    std::optional<RecordKind> kind = RecordKindFromName(s);
    if (!kind) return Status::InvalidArgument("scope.kinds: unknown kind '" + s + "'");
    out->kinds.push_back(*kind);
    return Status::OK();
  }));
  if (const json::value* t = o.if_contains("tables")) {
    if (!t->is_array()) return Status::InvalidArgument("scope.tables: expected a list");
    for (const json::value& v : t->as_array()) {
      uint32_t table = 0;
      NETSNAP_RETURN_IF_ERROR(ParseTable(v, &table));
      out->tables.push_back(table);
    }
  }
  NETSNAP_RETURN_IF_ERROR(EachString(o, "prefixes", [&](const std::string& s) {
    Prefix p;
    NETSNAP_RETURN_IF_ERROR(Prefix::Parse(s, &p).WithContext("scope.prefixes"));
    out->prefixes.push_back(p);
    return Status::OK();
  }));
  NETSNAP_RETURN_IF_ERROR(EachString(o, "domains", [&](const std::string& s) {
    out->domains.push_back(s);
    return Status::OK();
  }));
  return EachString(o, "files", [&](const std::string& s) {
    out->files.push_back(s);
    return Status::OK();
  });
}

}  // namespace netsnap
