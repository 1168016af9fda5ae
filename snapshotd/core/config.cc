#include "core/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
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

// A source's name goes into URLs, CLI arguments (SOURCE@VERSION), log fields and metric labels:
// only characters that need no escaping anywhere, and no "." or ".." path segment.
bool ValidSourceName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
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

Status GetInt(const toml::table& t, const char* key, int min, int max, const std::string& origin,
              int* out) {
  const toml::node* n = t.get(key);
  if (!n) return Status::OK();
  if (!n->is_integer() || **n->as_integer() < min || **n->as_integer() > max) {
    return Bad(origin, *n,
               std::string("'") + key + "' must be an integer from " + std::to_string(min) +
                   " to " + std::to_string(max));
  }
  *out = static_cast<int>(**n->as_integer());
  return Status::OK();
}

Status ParseDaemon(const toml::table& d, const std::string& origin, DaemonConfig* c) {
  static const std::set<std::string> kKeys = {"data_dir",
                                              "listen",
                                              "metrics_listen",
                                              "threads",
                                              "workers",
                                              "token_file",
                                              "log_level",
                                              "log_format",
                                              "socket",
                                              "socket_group",
                                              "allowed_hosts",
                                              "max_followers",
                                              "allow_loopback_operator",
                                              "max_connections_per_client",
                                              "max_disk_bytes",
                                              "guard_shrink_share",
                                              "guard_min_records"};
  for (const auto& [k, v] : d) {
    if (!kKeys.count(std::string(k.str()))) {
      return Bad(origin, v, "unknown key '" + std::string(k.str()) + "' in [daemon]");
    }
  }
  NETSNAP_RETURN_IF_ERROR(GetString(d, "data_dir", origin, &c->data_dir));
  if (const toml::node* n = d.get("data_dir"); n && c->data_dir.empty()) {
    return Bad(origin, *n, "'data_dir' must not be empty (leave it out for the default)");
  }
  NETSNAP_RETURN_IF_ERROR(GetString(d, "listen", origin, &c->listen));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "metrics_listen", origin, &c->metrics_listen));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "token_file", origin, &c->token_file));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "log_level", origin, &c->log_level));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "log_format", origin, &c->log_format));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "socket", origin, &c->socket));
  NETSNAP_RETURN_IF_ERROR(GetString(d, "socket_group", origin, &c->socket_group));
  NETSNAP_RETURN_IF_ERROR(GetInt(d, "threads", 1, 64, origin, &c->threads));
  NETSNAP_RETURN_IF_ERROR(GetInt(d, "workers", 1, 64, origin, &c->workers));
  NETSNAP_RETURN_IF_ERROR(GetInt(d, "max_followers", 1, 10000, origin, &c->max_followers));
  NETSNAP_RETURN_IF_ERROR(
      GetInt(d, "max_connections_per_client", 1, 10000, origin, &c->max_connections_per_client));
  if (const toml::node* n = d.get("allow_loopback_operator")) {
    if (!n->is_boolean()) return Bad(origin, *n, "'allow_loopback_operator' must be true or false");
    c->allow_loopback_operator = **n->as_boolean();
  }
  if (const toml::node* n = d.get("allowed_hosts")) {
    const toml::array* a = n->as_array();
    if (!a) return Bad(origin, *n, "'allowed_hosts' must be an array of host names");
    for (const toml::node& h : *a) {
      if (!h.is_string() || h.as_string()->get().empty()) {
        return Bad(origin, h, "'allowed_hosts' entries must be non-empty strings");
      }
      c->allowed_hosts.push_back(**h.as_string());
    }
  }
  if (const toml::node* n = d.get("max_disk_bytes")) {
    if (!n->is_integer() || **n->as_integer() < 0) {
      return Bad(origin, *n, "'max_disk_bytes' must be a number of bytes (0: no budget)");
    }
    c->max_disk_bytes = static_cast<uint64_t>(**n->as_integer());
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

Status ParseRetention(const toml::table& r, const std::string& origin, RetentionSettings* s) {
  static const std::set<std::string> kKeys = {"keep_all", "hourly",     "daily",    "interval",
                                              "events",   "max_events", "rollbacks"};
  for (const auto& [k, v] : r) {
    if (!kKeys.count(std::string(k.str()))) {
      return Bad(origin, v,
                 "unknown key '" + std::string(k.str()) +
                     "' in [retention] (known: keep_all, hourly, daily, interval, events, "
                     "max_events, rollbacks)");
    }
  }
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "keep_all", origin, &s->versions.keep_all_ns));
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "hourly", origin, &s->versions.hourly_ns));
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "daily", origin, &s->versions.daily_ns));
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "interval", origin, &s->interval_ns));
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "events", origin, &s->events_ns));
  NETSNAP_RETURN_IF_ERROR(GetDuration(r, "rollbacks", origin, &s->rollbacks_ns));
  if (s->interval_ns < 1000000000) {
    return Bad(origin, *r.get("interval"), "'interval' must be at least \"1s\"");
  }
  if (const toml::node* n = r.get("max_events")) {
    if (!n->is_integer() || **n->as_integer() < 0) {
      return Bad(origin, *n, "'max_events' must be a count (0: no limit)");
    }
    s->max_events = static_cast<uint64_t>(**n->as_integer());
  }
  return Status::OK();
}

// A relative data_dir in a file is relative to the file's folder: the daemon's working
// directory (/ under systemd) says nothing about where the operator meant.
void ResolveDataDir(const std::string& origin, DaemonConfig* c) {
  if (c->data_dir.empty() || c->data_dir[0] == '/') return;
  std::filesystem::path folder = std::filesystem::path(origin).parent_path();
  if (folder.empty()) folder = ".";
  c->data_dir = (folder / c->data_dir).lexically_normal().string();
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
    if (key != "daemon" && key != "source" && key != "retention" && key != "policy" &&
        key != "owner") {
      return Bad(origin, v,
                 "unknown table '" + key +
                     "' (expected [daemon], [retention], "
                     "[[source]], [[policy]] or [[owner]])");
    }
  }
  if (const toml::node* d = doc.get("daemon")) {
    if (!d->is_table()) return Bad(origin, *d, "[daemon] must be a table");
    NETSNAP_RETURN_IF_ERROR(ParseDaemon(*d->as_table(), origin, &c));
  }
  if (const toml::node* r = doc.get("retention")) {
    if (!r->is_table()) return Bad(origin, *r, "[retention] must be a table");
    NETSNAP_RETURN_IF_ERROR(ParseRetention(*r->as_table(), origin, &c.retention));
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
      if (!ValidSourceName(spec.name)) {
        return Bad(origin, n,
                   "source name '" + spec.name +
                       "' must be 1-64 letters, digits, '-', '_' or '.', not starting with '.'");
      }
      if (spec.kind.empty()) return Bad(origin, n, "[[source]] '" + spec.name + "' needs a 'kind'");
      if (!names.insert(spec.name).second) {
        return Bad(origin, n, "two sources are named '" + spec.name + "'");
      }
      c.sources.push_back(std::move(spec));
    }
  }
  ResolveDataDir(origin, &c);
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

bool SameSource(const SourceSpec& a, const SourceSpec& b) {
  if (a.kind != b.kind) return false;
  if (!a.config || !b.config) return a.config == b.config;
  return *a.config == *b.config;
}

bool SameSources(const DaemonConfig& a, const DaemonConfig& b) {
  if (a.sources.size() != b.sources.size()) return false;
  for (size_t i = 0; i < a.sources.size(); ++i) {
    if (a.sources[i].name != b.sources[i].name || !SameSource(a.sources[i], b.sources[i])) {
      return false;
    }
  }
  return true;
}

std::string DefaultDataDir() {
  const char* state = std::getenv("STATE_DIRECTORY");
  // systemd passes a colon-separated list when StateDirectory= names several; netsnap has one.
  if (state && state[0] == '/' && !std::strchr(state, ':')) return state;
  return NETSNAP_DEFAULT_DATA_DIR;
}

std::string DefaultConfigPath() { return NETSNAP_DEFAULT_CONFIG; }

DaemonConfig DefaultConfig() {
  DaemonConfig c;
  c.sources.push_back({"kernel", "kernel", nullptr});
  c.sources.push_back({"resolver", "resolver", nullptr});
  return c;
}

}  // namespace netsnap
