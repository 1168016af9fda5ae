#include "detect/detection_state.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <climits>

namespace netsnap {

namespace {

namespace json = boost::json;

const std::string kPauses = "detect/pause/";
const std::string kPolicies = "detect/policy/";

bool DecodePause(const std::string& text, StoredPause* out) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const json::object& o = v.as_object();
  const json::value* until = o.if_contains("until_ns");
  const json::value* reason = o.if_contains("reason");
  const json::value* who = o.if_contains("who");
  if (!until || !until->is_int64() || until->as_int64() <= 0 || !reason || !reason->is_string() ||
      !who || !who->is_string()) {
    return false;
  }
  out->until_ns = until->as_int64();
  out->reason = std::string(reason->as_string());
  out->who = std::string(who->as_string());
  return true;
}

bool DecodePolicy(const std::string& text, StoredPolicy* out) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const json::value* policy = v.as_object().if_contains("policy");
  const json::value* configured = v.as_object().if_contains("configured");
  if (!policy || !policy->is_object() || !configured || !configured->is_object()) return false;
  out->policy = policy->as_object();
  out->configured = configured->as_object();
  return true;
}

// Decodes every record under `prefix` into (*out)[source]; drops those that do not decode.
template <typename T, typename Decode>
Status LoadAll(Store* store, const std::string& prefix, Decode decode,
               std::map<std::string, T>* out) {
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(store->ListMeta(prefix, &entries));
  for (const auto& [key, value] : entries) {
    T record;
    if (decode(value, &record)) {
      (*out)[key.substr(prefix.size())] = std::move(record);
      continue;
    }
    spdlog::warn("detection: dropping the unreadable stored record {}", key);
    NETSNAP_RETURN_IF_ERROR(store->DeleteMeta(key));
  }
  return Status::OK();
}

}  // namespace

Status SavePause(Store* store, const std::string& source, const StoredPause& p) {
  json::object o;
  o["until_ns"] = p.until_ns;
  o["reason"] = p.reason;
  o["who"] = p.who;
  return store->PutMeta(kPauses + source, json::serialize(o));
}

Status DeletePause(Store* store, const std::string& source) {
  return store->DeleteMeta(kPauses + source);
}

Status SavePolicy(Store* store, const std::string& source, const DetectPolicy& set,
                  const DetectPolicy& configured) {
  // WebhookUrl::kHidden: the URL may hold a secret, and a set policy takes it from the file.
  json::object o;
  o["policy"] = PolicyToJson(set);
  o["configured"] = PolicyToJson(configured);
  return store->PutMeta(kPolicies + source, json::serialize(o));
}

Status DeletePolicy(Store* store, const std::string& source) {
  return store->DeleteMeta(kPolicies + source);
}

Status LoadDetectionState(Store* store, std::map<std::string, StoredPause>* pauses,
                          std::map<std::string, StoredPolicy>* policies) {
  NETSNAP_RETURN_IF_ERROR(LoadAll(store, kPauses, DecodePause, pauses));
  return LoadAll(store, kPolicies, DecodePolicy, policies);
}

}  // namespace netsnap
