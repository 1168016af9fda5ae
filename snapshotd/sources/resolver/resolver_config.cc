#include "sources/resolver/resolver_config.h"

#include <toml++/toml.h>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

Status Bad(const SourceSpec& spec, const toml::node* node, std::string_view key,
           std::string_view what) {
  std::string where;
  if (node && node->source().begin.line) {
    const std::string line = std::to_string(node->source().begin.line);
    const auto& path = node->source().path;
    if (path && !path->empty()) {  // "FILE:LINE: source 'NAME': KEY: what"
      return Status::InvalidArgument(*path + ":" + line + ": source '" + spec.name +
                                     "': " + std::string(key) + ": " + std::string(what));
    }
    where = " (line " + line + ")";
  }
  return Status::InvalidArgument("source '" + spec.name + "': " + std::string(key) + ": " +
                                 std::string(what) + where);
}

Status GetString(const SourceSpec& spec, const toml::node* n, std::string_view key,
                 std::string* out) {
  const auto* s = n->as_string();
  if (!s) return Bad(spec, n, key, "must be a string");
  *out = s->get();
  return Status::OK();
}

Status GetInt(const SourceSpec& spec, const toml::node* n, std::string_view key, int64_t lo,
              int64_t hi, int64_t* out) {
  const auto* i = n->as_integer();
  if (!i) return Bad(spec, n, key, "must be an integer");
  if (i->get() < lo || i->get() > hi) {
    return Bad(spec, n, key,
               "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  *out = i->get();
  return Status::OK();
}

// An absolute path, normalised: "/a/./b/../c/" is "/a/c".
Status GetPath(const SourceSpec& spec, const toml::node* n, std::string_view key,
               std::string* out) {
  std::string v;
  NETSNAP_RETURN_IF_ERROR(GetString(spec, n, key, &v));
  if (v.empty() || v[0] != '/') return Bad(spec, n, key, "must be an absolute path");
  *out = ResolveRelative("/", v);
  return Status::OK();
}

Status GetPaths(const SourceSpec& spec, const toml::node* n, std::string_view key,
                std::vector<std::string>* out) {
  const auto* a = n->as_array();
  if (!a) return Bad(spec, n, key, "must be a list of absolute paths");
  out->clear();
  for (const toml::node& item : *a) {
    std::string p;
    NETSNAP_RETURN_IF_ERROR(GetPath(spec, &item, key, &p));
    out->push_back(std::move(p));
  }
  return Status::OK();
}

}  // namespace

FileTree ResolverTree(const ResolverConfig& config) {
  std::vector<std::string> write = config.write_paths;
  write.push_back(config.path);
  if (config.format == ResolverFormat::kResolved) write.push_back(config.path + ".d");
  return FileTree(config.read_paths, std::move(write));
}

Status ParseResolverConfig(const SourceSpec& spec, ResolverConfig* out) {
  ResolverConfig c;
  if (!spec.config) {
    if (spec.name != "resolver") {
      return Status::InvalidArgument("source '" + spec.name +
                                     "': a resolver source needs a [[source]] table");
    }
    c.read_only = true;  // the embedded default only watches
    // /etc/resolv.conf is often a link into a resolver manager's runtime folder: record the
    // file it names there too (read only; nothing else under them is ever read).
    c.read_paths = {"/run/systemd/resolve", "/run/resolvconf", "/run/NetworkManager"};
    *out = std::move(c);
    return Status::OK();
  }
  const toml::table& t = *spec.config;
  bool have_format = false, have_path = false;
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    const toml::node* n = &node;
    if (key == "name" || key == "kind") continue;
    if (key == "format") {
      std::string v;
      NETSNAP_RETURN_IF_ERROR(GetString(spec, n, key, &v));
      auto f = ResolverFormatFromName(v);
      if (!f)
        return Bad(spec, n, key,
                   "unknown format '" + v + "' (known: resolv.conf, dnsmasq, resolved, unbound)");
      c.format = *f;
      have_format = true;
    } else if (key == "path") {
      NETSNAP_RETURN_IF_ERROR(GetPath(spec, n, key, &c.path));
      have_path = true;
    } else if (key == "write_paths") {
      NETSNAP_RETURN_IF_ERROR(GetPaths(spec, n, key, &c.write_paths));
    } else if (key == "read_paths") {
      NETSNAP_RETURN_IF_ERROR(GetPaths(spec, n, key, &c.read_paths));
    } else if (key == "reload") {
      NETSNAP_RETURN_IF_ERROR(GetString(spec, n, key, &c.reload));
    } else if (key == "reload_timeout_s") {
      int64_t s;
      NETSNAP_RETURN_IF_ERROR(GetInt(spec, n, key, 1, 3600, &s));
      c.reload_timeout_ms = s * 1000;
    } else if (key == "debounce_ms") {
      NETSNAP_RETURN_IF_ERROR(GetInt(spec, n, key, 0, 60'000, &c.debounce_ms));
    } else if (key == "reread_s") {
      int64_t s;
      NETSNAP_RETURN_IF_ERROR(GetInt(spec, n, key, 1, 86'400 * 7, &s));
      c.reread_ms = s * 1000;
    } else if (key == "read_only") {
      const auto* b = n->as_boolean();
      if (!b) return Bad(spec, n, key, "must be true or false");
      c.read_only = b->get();
    } else {
      return Bad(spec, n, key, "unknown key for a resolver source");
    }
  }
  if (!have_format) return Bad(spec, &t, "format", "missing");
  if (!have_path) return Bad(spec, &t, "path", "missing");
  *out = std::move(c);
  return Status::OK();
}

}  // namespace netsnap
