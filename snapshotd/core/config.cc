#include "core/config.h"

#include <toml++/toml.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "netsnap/time.h"

namespace netsnap {

namespace {

std::string Where(const std::string& origin, const toml::source_region& r) {
  return origin + ":" + std::to_string(r.begin.line);
}

Status Bad(const std::string& origin, const toml::node& n, const std::string& msg) {
  return Status::InvalidArgument(Where(origin, n.source()) + ": " + msg);
}

Status GetString(const toml::table& t, const char* key, const std::string& origin,
                 std::string* out) {
  const toml::node* n = t.get(key);
  if (!n) return Status::OK();
  if (!n->is_string()) return Bad(origin, *n, std::string("'") + key + "' must be a string");
  *out = **n->as_string();
  return Status::OK();
}

Status GetDuration(const toml::table& t, const char* key, const std::string& origin, int64_t* out) {
  const toml::node* n = t.get(key);
  if (!n) return Status::OK();
  if (!n->is_string()) {
    return Bad(origin, *n, std::string("'") + key + "' must be a duration string like \"7d\"");
  }
  Status s = ParseDuration(**n->as_string(), out);
  return s.ok() ? s : Bad(origin, *n, s.message());
}

Status ParseDaemon(const toml::table& d, const std::string& origin, DaemonConfig* c) {
  static const std::set<std::string> kKeys = {
      "data_dir",           "listen",           "threads", "token_file", "log_level", "log_format",
      "guard_shrink_share", "guard_min_records"};
  for (const auto& [k, v] : d) {
    if (!kKeys.count(std::string(k.str()))) {
      return Bad(origin, v, "unknown key '" + std::string(k.str()) + "' in [daemon]");
    }
  }
  NETSNAP_RETURN_IF_ERROR(GetString(d, "data_dir", origin, &c->data_dir));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "listen", origin, &c->listen));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "token_file", origin, &c->token_file));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "log_level", origin, &c->log_level));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "log_format", origin, &c->log_format));
  if (const toml::node* n = d.get("threads")) {
    if (!n->is_integer() || **n->as_integer() < 1 || **n->as_integer() > 64) {
      return Bad(origin, *n, "'threads' must be an integer from 1 to 64");
    }
    c->threads = static_cast<int>(**n->as_integer());
  }
  if (const toml::node* n = d.get("guard_shrink_share")) {
    std::optional<double> v = n->value<double>();
    if (!v || !(*v >= 0 && *v <= 1)) {
      return Bad(origin, *n, "'guard_shrink_share' must be a number from 0 to 1");
    }
    c->guard_shrink_share = *v;
  }
  if (const toml::node* n = d.get("guard_min_records")) {
    if (!n->is_integer() || **n->as_integer() < 0) {
      return Bad(origin, *n, "'guard_min_records' must be a non-negative integer");
    }
    c->guard_min_records = static_cast<uint64_t>(**n->as_integer());
  }
  if (c->log_format != "text" && c->log_format != "json") {
    return Bad(origin, *d.get("log_format"), "'log_format' must be \"text\" or \"json\"");
  }
  return Status::OK();
}

Status ParseRetention(const toml::table& r, const std::string& origin, RetentionPolicy* p,
                      int64_t* interval) {
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "keep_all", origin, &p->keep_all_ns));
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "hourly", origin, &p->hourly_ns));
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "daily", origin, &p->daily_ns));
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "interval", origin, interval));
  return Status::OK();
}

}  // namespace

Status ParseConfig(const std::string& text, const std::string& origin, DaemonConfig* out) {
  DaemonConfig c;
  c.path = origin;
  // toml++ is built with exceptions here; they stop at this function.
  try {
    c.document = std::make_shared<toml::table>(toml::parse(text, origin));
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  const toml::table& doc = *c.document;
  for (const auto& [k, v] : doc) {
    std::string key(k.str());
    if (key != "daemon" && key != "source" && key != "retention" && key != "policy") {
      return Bad(origin, v,
                 "unknown table '" + key +
                     "' (expected [daemon], [retention], "
                     "[[source]] or [[policy]])");
    }
  }
  if (const toml::node* d = doc.get("daemon")) {
    if (!d->is_table()) return Bad(origin, *d, "[daemon] must be a table");
    NETSNAP_RETURN_IF_ERROR(ParseDaemon(*d->as_table(), origin, &c));
  }
  if (const toml::node* r = doc.get("retention")) {
    if (!r->is_table()) return Bad(origin, *r, "[retention] must be a table");
    NETSNAP_RETURN_IF_ERROR(
        ParseRetention(*r->as_table(), origin, &c.retention, &c.retention_interval_ns));
  }
  std::set<std::string> names;
  if (const toml::node* s = doc.get("source")) {
    if (!s->is_array_of_tables()) return Bad(origin, *s, "sources are [[source]] tables");
    for (const toml::node& n : *s->as_array()) {
      const toml::table& t = *n.as_table();
      SourceSpec spec;
      spec.config = &t;
      NETSNAP_RETURN_IF_ERROR(GetString(t, "name", origin, &spec.name));
      NETSNAP_RETURN_IF_ERROR(GetString(t, "kind", origin, &spec.kind));
      if (spec.name.empty()) return Bad(origin, n, "[[source]] needs a 'name'");
      if (spec.name.find_first_of("/?#% \t") != std::string::npos) {
        return Bad(origin, n, "source name '" + spec.name + "' may not contain / ? # % or spaces");
      }
      if (spec.kind.empty()) return Bad(origin, n, "[[source]] '" + spec.name + "' needs a 'kind'");
      if (!names.insert(spec.name).second) {
        return Bad(origin, n, "two sources are named '" + spec.name + "'");
      }
      c.sources.push_back(std::move(spec));
    }
  }
  *out = std::move(c);
  return Status::OK();
}

Status LoadConfig(const std::string& path, DaemonConfig* out) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read configuration file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path, out);
}

DaemonConfig DefaultConfig() {
  DaemonConfig c;
  c.sources.push_back({"kernel", "kernel", nullptr});
  c.sources.push_back({"resolver", "resolver", nullptr});
  return c;
}

}  // namespace netsnap
