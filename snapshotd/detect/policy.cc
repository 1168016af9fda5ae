#include "detect/policy.h"

#include <toml++/toml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cmath>
#include <set>

namespace netsnap {

namespace {

namespace json = boost::json;

// The detectors PolicyFromJson accepts in `detectors`; detectors.cc holds the list itself.
const std::set<std::string, std::less<>> kDetectorNames = {
    "mass_deletion", "protected", "overwrite", "orphaned_rule", "edit_war"};

// The webhook keys: they decide where root sends HTTP, so only the configuration sets them.
constexpr std::string_view kConfigOnlyKeys[] = {"webhook_url", "webhook_queue", "webhook_retries",
                                                "webhook_timeout_ms"};

Status BadKey(std::string_view key, std::string_view msg) {
  return Status::InvalidArgument("'" + std::string(key) + "' " + std::string(msg));
}

bool ToNumber(const json::value& v, double* out) {
  if (v.is_int64())
    *out = static_cast<double>(v.as_int64());
  else if (v.is_uint64())
    *out = static_cast<double>(v.as_uint64());
  else if (v.is_double())
    *out = v.as_double();
  else
    return false;
  return std::isfinite(*out);
}

Status Number(const json::value& v, std::string_view key, double lo, double hi, double* out) {
  double d;
  if (!ToNumber(v, &d) || d < lo || d > hi) {
    return BadKey(key, "must be a number from " + json::serialize(json::value(lo)) + " to " +
                           json::serialize(json::value(hi)));
  }
  *out = d;
  return Status::OK();
}

template <typename Int>
Status Integer(const json::value& v, std::string_view key, int64_t lo, int64_t hi, Int* out) {
  double d;
  if (!ToNumber(v, &d) || d != std::floor(d) || d < static_cast<double>(lo) ||
      d > static_cast<double>(hi)) {
    return BadKey(key,
                  "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  *out = static_cast<Int>(d);
  return Status::OK();
}

Status Strings(const json::value& v, std::string_view key, std::vector<std::string>* out) {
  if (!v.is_array()) return BadKey(key, "must be an array of strings");
  out->clear();
  for (const json::value& e : v.as_array()) {
    if (!e.is_string() || e.as_string().empty()) {
      return BadKey(key, "must be an array of non-empty strings");
    }
    out->emplace_back(e.as_string());
  }
  return Status::OK();
}

Status ParseTable(const json::value& v, uint32_t* out) {
  if (v.is_string()) {
    std::string_view s = v.as_string();
    if (s == "main")
      *out = 254;
    else if (s == "local")
      *out = 255;
    else if (s == "default")
      *out = 253;
    else
      return Status::InvalidArgument("unknown table name '" + std::string(s) + "'");
    return Status::OK();
  }
  return Integer(v, "protected_tables", 1, 0xffffffffLL, out);
}

Status CheckWebhookUrl(const std::string& url) {
  if (url.empty()) return Status::OK();
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u || u->scheme() != "http" || u->host().empty()) {
    return BadKey("webhook_url", "must be an http:// URL with a host (https is not supported)");
  }
  return Status::OK();
}

// Applies one key of a JSON policy.
Status ApplyKey(std::string_view key, const json::value& v, DetectPolicy* p) {
  if (key == "action") {
    if (v == "alert")
      p->action = DetectAction::kAlert;
    else if (v == "restore")
      p->action = DetectAction::kRestore;
    else
      return BadKey(key, "must be \"alert\" or \"restore\"");
  } else if (key == "settle_ms") {
    return Integer(v, key, 0, 60'000, &p->settle_ms);
  } else if (key == "settle_max_ms") {
    return Integer(v, key, 0, 600'000, &p->settle_max_ms);
  } else if (key == "cooldown_s") {
    return Number(v, key, 0, 86'400, &p->cooldown_s);
  } else if (key == "max_restores_per_hour") {
    return Integer(v, key, 1, 3600, &p->max_restores_per_hour);
  } else if (key == "conflict_window_s") {
    return Number(v, key, 0, 86'400, &p->conflict_window_s);
  } else if (key == "conflict_repeats") {
    return Integer(v, key, 1, 1000, &p->conflict_repeats);
  } else if (key == "detectors") {
    NETSNAP_RETURN_IF_ERROR(Strings(v, key, &p->detectors));
    for (const std::string& d : p->detectors) {
      if (!kDetectorNames.count(d)) {
        return BadKey(key, "names an unknown detector '" + d +
                               "' (known: mass_deletion, protected, overwrite, orphaned_rule, "
                               "edit_war)");
      }
    }
  } else if (key == "trusted_processes") {
    return Strings(v, key, &p->trusted_processes);
  } else if (key == "restore_owner_exit") {
    if (!v.is_bool()) return BadKey(key, "must be true or false");
    p->restore_owner_exit = v.as_bool();
  } else if (key == "mass_window_s") {
    return Number(v, key, 0.001, 86'400, &p->mass_window_s);
  } else if (key == "mass_share") {
    return Number(v, key, 0.0001, 1, &p->mass_share);
  } else if (key == "mass_min_records") {
    return Integer(v, key, 1, 1LL << 40, &p->mass_min_records);
  } else if (key == "mass_max_records") {
    return Integer(v, key, 0, 1LL << 40, &p->mass_max_records);
  } else if (key == "protect_default_routes") {
    if (!v.is_bool()) return BadKey(key, "must be true or false");
    p->protect_default_routes = v.as_bool();
  } else if (key == "protected_prefixes") {
    std::vector<std::string> texts;
    NETSNAP_RETURN_IF_ERROR(Strings(v, key, &texts));
    p->protected_prefixes.clear();
    for (const std::string& t : texts) {
      Prefix pfx;
      Status s = Prefix::Parse(t, &pfx);
      if (!s.ok()) return BadKey(key, "has a bad prefix '" + t + "': " + s.message());
      p->protected_prefixes.push_back(pfx);
    }
  } else if (key == "protected_tables") {
    if (!v.is_array()) return BadKey(key, "must be an array of table numbers or names");
    p->protected_tables.clear();
    for (const json::value& e : v.as_array()) {
      uint32_t t = 0;
      Status s = ParseTable(e, &t);
      if (!s.ok()) return BadKey(key, "has a bad table: " + s.message());
      p->protected_tables.push_back(t);
    }
  } else if (key == "protected_domains") {
    NETSNAP_RETURN_IF_ERROR(Strings(v, key, &p->protected_domains));
    for (std::string& d : p->protected_domains) {
      if (d.size() > 1 && d.back() == '.') d.pop_back();
    }
  } else if (key == "edit_war_window_s") {
    return Number(v, key, 0.001, 86'400, &p->edit_war_window_s);
  } else if (key == "edit_war_flips") {
    return Integer(v, key, 2, 1000, &p->edit_war_flips);
  } else if (key == "webhook_url") {
    if (!v.is_string()) return BadKey(key, "must be a string");
    p->webhook_url = std::string(v.as_string());
    return CheckWebhookUrl(p->webhook_url);
  } else if (key == "webhook_queue") {
    return Integer(v, key, 1, 1'000'000, &p->webhook_queue);
  } else if (key == "webhook_retries") {
    return Integer(v, key, 0, 100, &p->webhook_retries);
  } else if (key == "webhook_timeout_ms") {
    return Integer(v, key, 1, 600'000, &p->webhook_timeout_ms);
  } else {
    return BadKey(key, "is not a policy key");
  }
  return Status::OK();
}

// A TOML value as JSON (policies use strings, numbers, booleans and arrays of them).
json::value TomlToJson(const toml::node& n) {
  if (auto s = n.as_string()) return json::value(s->get());
  if (auto i = n.as_integer()) return json::value(i->get());
  if (auto f = n.as_floating_point()) return json::value(f->get());
  if (auto b = n.as_boolean()) return json::value(b->get());
  if (auto a = n.as_array()) {
    json::array out;
    for (const toml::node& e : *a) out.push_back(TomlToJson(e));
    return out;
  }
  return json::value(json::object());  // tables and dates: rejected by the key's check
}

}  // namespace

bool DetectPolicy::RunsDetector(std::string_view name) const {
  return detectors.empty() ||
         std::find(detectors.begin(), detectors.end(), name) != detectors.end();
}

bool DetectPolicy::Trusts(std::string_view process) const {
  return !process.empty() && std::find(trusted_processes.begin(), trusted_processes.end(),
                                       process) != trusted_processes.end();
}

Status PolicyFromJson(const json::object& in, const DetectPolicy& base, DetectPolicy* out,
                      std::string* bad_key) {
  DetectPolicy p = base;
  for (const auto& [k, v] : in) {
    if (k == "source" || k == "state" || k == "webhook") continue;  // read-only
    Status s = ApplyKey(k, v, &p);
    if (!s.ok()) {
      if (bad_key) *bad_key = std::string(k);
      return s;
    }
  }
  if (p.settle_max_ms < p.settle_ms) {
    if (bad_key) *bad_key = "settle_max_ms";
    return BadKey("settle_max_ms", "must not be less than 'settle_ms'");
  }
  *out = std::move(p);
  return Status::OK();
}

Status PolicyFromRequest(const json::object& in, const DetectPolicy& base,
                         const DetectPolicy& configured, DetectPolicy* out) {
  DetectPolicy p;
  NETSNAP_RETURN_IF_ERROR(PolicyFromJson(in, base, &p));
  json::object want = PolicyToJson(configured, WebhookUrl::kShown);
  for (std::string_view key : kConfigOnlyKeys) {
    const json::value* v = in.if_contains(key);
    if (v && *v != want.at(key)) {
      return BadKey(key, "is set only in the configuration file ([[policy]]), not over the API");
    }
  }
  p.webhook_url = configured.webhook_url;
  p.webhook_queue = configured.webhook_queue;
  p.webhook_retries = configured.webhook_retries;
  p.webhook_timeout_ms = configured.webhook_timeout_ms;
  *out = std::move(p);
  return Status::OK();
}

boost::json::object PolicyToJson(const DetectPolicy& p, WebhookUrl url) {
  json::object o;
  o["action"] = p.action == DetectAction::kRestore ? "restore" : "alert";
  o["settle_ms"] = p.settle_ms;
  o["settle_max_ms"] = p.settle_max_ms;
  o["cooldown_s"] = p.cooldown_s;
  o["max_restores_per_hour"] = p.max_restores_per_hour;
  o["conflict_window_s"] = p.conflict_window_s;
  o["conflict_repeats"] = p.conflict_repeats;
  json::array det, trusted, prefixes, tables, domains;
  for (const auto& d : p.detectors) det.emplace_back(d);
  for (const auto& t : p.trusted_processes) trusted.emplace_back(t);
  for (const auto& x : p.protected_prefixes) prefixes.emplace_back(x.ToString());
  for (uint32_t t : p.protected_tables) tables.emplace_back(t);
  for (const auto& d : p.protected_domains) domains.emplace_back(d);
  o["detectors"] = std::move(det);
  o["trusted_processes"] = std::move(trusted);
  o["restore_owner_exit"] = p.restore_owner_exit;
  o["mass_window_s"] = p.mass_window_s;
  o["mass_share"] = p.mass_share;
  o["mass_min_records"] = p.mass_min_records;
  o["mass_max_records"] = p.mass_max_records;
  o["protect_default_routes"] = p.protect_default_routes;
  o["protected_prefixes"] = std::move(prefixes);
  o["protected_tables"] = std::move(tables);
  o["protected_domains"] = std::move(domains);
  o["edit_war_window_s"] = p.edit_war_window_s;
  o["edit_war_flips"] = p.edit_war_flips;
  o["webhook"] = p.webhook_url.empty() ? "none" : "configured";
  if (url == WebhookUrl::kShown) o["webhook_url"] = p.webhook_url;
  o["webhook_queue"] = p.webhook_queue;
  o["webhook_retries"] = p.webhook_retries;
  o["webhook_timeout_ms"] = p.webhook_timeout_ms;
  return o;
}

Status ParsePolicies(const toml::table* doc, const std::string& origin,
                     const std::vector<std::string>& sources, PolicyMap* out) {
  PolicyMap policies;
  policies["*"] = DetectPolicy{};
  const toml::node* node = doc ? doc->get("policy") : nullptr;
  if (!node) {
    *out = std::move(policies);
    return Status::OK();
  }
  auto where = [&](const toml::node& n) {
    return origin + ":" + std::to_string(n.source().begin.line) + ": ";
  };
  if (!node->is_array_of_tables()) {
    return Status::InvalidArgument(where(*node) + "policies are [[policy]] tables");
  }
  // The default first: named policies start from it whatever the order in the file.
  bool seen_default = false;
  for (int pass = 0; pass < 2; ++pass) {
    for (const toml::node& n : *node->as_array()) {
      const toml::table& t = *n.as_table();
      std::string source = "*";
      if (const toml::node* s = t.get("source")) {
        if (!s->is_string())
          return Status::InvalidArgument(where(*s) + "'source' must be a string");
        source = **s->as_string();
      }
      if ((source == "*") != (pass == 0)) continue;
      if (source != "*" && std::find(sources.begin(), sources.end(), source) == sources.end()) {
        return Status::InvalidArgument(where(n) + "[[policy]] for '" + source +
                                       "', which is not a configured source");
      }
      if (pass == 1 && policies.count(source)) {
        return Status::InvalidArgument(where(n) + "two [[policy]] tables for '" + source + "'");
      }
      if (pass == 0 && seen_default) {
        return Status::InvalidArgument(where(n) + "two default [[policy]] tables");
      }
      if (pass == 0) seen_default = true;
      // What GET …/policy shows besides the settings; in a file they would be silently ignored.
      for (const char* shown : {"state", "webhook"}) {
        if (const toml::node* x = t.get(shown)) {
          return Status::InvalidArgument(where(*x) + "[[policy]] '" + source + "': '" + shown +
                                         "' is shown by the API, not a setting; remove it");
        }
      }
      json::object obj;
      for (const auto& [k, v] : t) obj[k.str()] = TomlToJson(v);
      std::string bad;
      DetectPolicy p;
      Status s = PolicyFromJson(obj, policies["*"], &p, &bad);
      if (!s.ok()) {
        const toml::node* at = bad.empty() ? nullptr : t.get(bad);
        return Status::InvalidArgument(where(at ? *at : n) + "[[policy]] '" + source +
                                       "': " + s.message());
      }
      policies[source] = std::move(p);
    }
  }
  *out = std::move(policies);
  return Status::OK();
}

}  // namespace netsnap
