// Detection policies: what detection looks for in a source and what it does about it. One
// policy per source, from the [[policy]] tables of the configuration (docs/detection.md) and
// changeable at run time as JSON with the same keys.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "netsnap/route.h"
#include "netsnap/status.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace netsnap {

enum class DetectAction { kAlert, kRestore };

struct DetectPolicy {
  DetectAction action = DetectAction::kAlert;
  // Restores: a burst of damage ends after settle_ms without new damage; one still growing
  // settle_max_ms after it began is reported (restore_waiting) and waits on (restorer.h); then
  // at most one restore per cooldown and max_restores_per_hour an hour.
  int64_t settle_ms = 300;
  int64_t settle_max_ms = 3000;
  double cooldown_s = 5;
  int max_restores_per_hour = 6;
  // The same records damaged again within conflict_window_s of a restore, conflict_repeats
  // times in a row, means another writer wants them: restoring stops ("conflict").
  double conflict_window_s = 30;
  int conflict_repeats = 3;
  // Detector names to run (all when empty) and processes whose changes are never damage.
  std::vector<std::string> detectors;
  std::vector<std::string> trusted_processes;
  // Routes that vanished with their owner process (owner_changes.h) are put back only when
  // set: a routing daemon that keeps its routes across a restart (BIRD's `persist`, FRR's
  // graceful restart) wants that; one that withdraws on purpose does not.
  bool restore_owner_exit = false;
  // Mass deletion.
  double mass_window_s = 10;
  double mass_share = 0.2;
  uint64_t mass_min_records = 10;
  uint64_t mass_max_records = 0;  // records of any kind removed in the window; 0: off
  // Protected records.
  bool protect_default_routes = true;
  std::vector<Prefix> protected_prefixes;  // routes whose destination one covers
  std::vector<uint32_t> protected_tables;
  std::vector<std::string> protected_domains;  // resolver rules for these and their subdomains
  // Edit wars: a record flipping between two values edit_war_flips times within the window.
  double edit_war_window_s = 60;
  int edit_war_flips = 4;
  // Webhook (http:// only); empty: none. The webhook keys come from the configuration file
  // only: the API may not point root's HTTP client anywhere (PolicyFromRequest).
  std::string webhook_url;
  uint64_t webhook_queue = 1000;
  int webhook_retries = 5;
  int64_t webhook_timeout_ms = 2000;

  bool RunsDetector(std::string_view name) const;
  bool Trusts(std::string_view process) const;
};

// Policies by source name; "*" holds the policy of sources without their own.
using PolicyMap = std::map<std::string, DetectPolicy>;

// Reads the [[policy]] tables of a parsed configuration. A policy without `source` (or with
// source = "*") is the default, and named policies start from it. Errors are InvalidArgument
// naming `origin`, the line and the key; a policy for a source that is not configured is one.
Status ParsePolicies(const toml::table* document, const std::string& origin,
                     const std::vector<std::string>& sources, PolicyMap* out);

// Whether the JSON form holds webhook_url, which often carries a secret (a token in the path
// or the query): only operators see it, never viewers or events.
enum class WebhookUrl { kHidden, kShown };

// The policy as JSON, with the keys of the configuration, and "webhook": "configured" or
// "none" (read-only).
boost::json::object PolicyToJson(const DetectPolicy& policy, WebhookUrl url = WebhookUrl::kHidden);
// Builds a policy from JSON: keys absent take their value from `base`. Unknown keys and bad
// values are InvalidArgument naming the key; *bad_key is set to it when given. "source",
// "state" and "webhook" are read-only and ignored (a policy read, edited and put back);
// ParsePolicies refuses them in a file.
Status PolicyFromJson(const boost::json::object& in, const DetectPolicy& base, DetectPolicy* out,
                      std::string* bad_key = nullptr);
// A policy from an API request (PUT …/policy): as PolicyFromJson, but the webhook keys are
// those of `configured` (the source's policy from the configuration file). A webhook key in
// `in` with another value is InvalidArgument naming it; with the same value (a policy read,
// edited and put back) it is accepted.
Status PolicyFromRequest(const boost::json::object& in, const DetectPolicy& base,
                         const DetectPolicy& configured, DetectPolicy* out);

}  // namespace netsnap
