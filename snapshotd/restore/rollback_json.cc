#include <boost/json.hpp>

#include "common/coding.h"
#include "common/render.h"
#include "netsnap/time.h"
#include "restore/rollback.h"

namespace netsnap {

namespace json = boost::json;

namespace {

// Sorted record keys as the journal keeps them: per key, a varint count of bytes shared with
// the previous key, then the rest length-prefixed; in hex. A restore's scope of 30,000 keys is
// a third of its hex list's size and takes no JSON value per key.
std::string PackKeys(const std::vector<std::string>& keys) {
  std::string out;
  std::string_view prev;
  for (const std::string& k : keys) {
    size_t shared = 0;
    while (shared < prev.size() && shared < k.size() && prev[shared] == k[shared]) ++shared;
    PutVarint(&out, shared);
    PutLengthPrefixed(&out, std::string_view(k).substr(shared));
    prev = k;
  }
  return HexEncode(out);
}

bool UnpackKeys(std::string_view hex, std::vector<std::string>* keys) {
  std::string bytes;
  if (!HexDecode(hex, &bytes)) return false;
  Reader r(bytes);
  std::string prev;
  while (!r.empty()) {
    uint64_t shared;
    std::string_view rest;
    if (!r.GetVarint(&shared) || shared > prev.size() || !r.GetLengthPrefixed(&rest)) {
      return false;
    }
    prev.resize(shared);
    prev.append(rest);
    keys->push_back(prev);
  }
  return true;
}

// `packed_keys`: record keys as PackKeys gives them (the journal), or a list of hex keys.
json::object ScopeToJson(const RollbackScope& s, bool packed_keys) {
  json::object o;
  if (!s.tables.empty()) {
    json::array a;
    for (uint32_t t : s.tables) a.push_back(t);
    o["tables"] = std::move(a);
  }
  if (!s.prefixes.empty()) {
    json::array a;
    for (const Prefix& p : s.prefixes)
      a.push_back(json::string(p.len ? p.ToString() : (p.family == 10 ? "::/0" : "0.0.0.0/0")));
    o["prefixes"] = std::move(a);
  }
  if (!s.kinds.empty()) {
    json::array a;
    for (RecordKind k : s.kinds) a.push_back(json::string(RecordKindName(k)));
    o["kinds"] = std::move(a);
  }
  if (!s.domains.empty()) o["domains"] = json::value_from(s.domains);
  if (!s.files.empty()) o["files"] = json::value_from(s.files);
  if (!s.keys.empty() && packed_keys) {
    o["record_keys_packed"] = PackKeys(s.keys);
  } else if (!s.keys.empty()) {
    json::array a;
    for (const std::string& k : s.keys) a.push_back(json::string(HexEncode(k)));
    o["record_keys"] = std::move(a);
  }
  return o;
}

json::object Common(const Rollback& r, bool packed_keys) {
  json::object o;
  o["id"] = r.id;
  o["source"] = r.source;
  o["state"] = RollbackStateName(r.state);
  o["to"] = r.request.to;
  o["target_version"] = r.target_version;
  o["pre_version"] = r.pre_version ? json::value(r.pre_version) : json::value(nullptr);
  o["post_version"] = r.post_version ? json::value(r.post_version) : json::value(nullptr);
  o["dry_run"] = r.request.dry_run;
  o["scope"] = ScopeToJson(r.request.scope, packed_keys);
  o["reason"] = r.request.reason;
  o["force"] = r.request.force;
  o["actor"] = r.request.actor;
  o["cause"] = CauseName(r.request.cause);
  o["created"] = FormatTime(r.created_ns);
  o["updated"] = FormatTime(r.updated_ns);
  o["confirm_deadline"] =
      r.deadline_ns ? json::value(FormatTime(r.deadline_ns)) : json::value(nullptr);
  if (!r.error.empty()) o["error"] = r.error;
  o["replans"] = r.replans;
  json::array probes;
  for (size_t i = 0; i < r.request.probes.size(); ++i) {
    const Probe& p = r.request.probes[i];
    bool failed_before = i < r.probe_failed_before.size() && r.probe_failed_before[i];
    probes.push_back({{"type", p.type}, {"target", p.target}, {"failed_before", failed_before}});
  }
  o["probes"] = std::move(probes);
  o["timings"] = {{"plan_ms", r.plan_ms},
                  {"apply_ms", r.apply_ms},
                  {"verify_ms", r.verify_ms},
                  {"total_ms", r.total_ms}};
  return o;
}

constexpr std::string_view kStateNames[] = {
    "planned",   "applying",  "applied",  "awaiting_confirmation",
    "reverting", "confirmed", "reverted", "failed"};
static_assert(std::size(kStateNames) == static_cast<size_t>(RollbackState::kFailed) + 1);

constexpr std::string_view kMismatch = "Idempotency-Key '";

}  // namespace

std::string_view RollbackStateName(RollbackState state) {
  return kStateNames[static_cast<size_t>(state)];
}

std::optional<RollbackState> RollbackStateFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kStateNames); ++i) {
    if (kStateNames[i] == name) return static_cast<RollbackState>(i);
  }
  return std::nullopt;
}

Status IdempotencyMismatch(const std::string& key) {
  return Status::InvalidArgument(std::string(kMismatch) + key +
                                 "' was used for another request; use a new key for a new "
                                 "request");
}

bool IsIdempotencyMismatch(const Status& s) {
  return s.code() == Status::Code::kInvalidArgument && s.message().starts_with(kMismatch);
}

std::string RequestDigest(const RollbackRequest& q) {
  // Fixed key order; the scope in its journal form (sorted, packed keys).
  json::object o;
  o["source"] = q.source;
  o["to"] = q.to;
  o["dry_run"] = q.dry_run;
  o["scope"] = ScopeToJson(q.scope, /*packed_keys=*/true);
  o["confirm_within_ns"] = q.confirm_within_ns;
  o["reason"] = q.reason;
  o["force"] = q.force;
  o["if_unchanged"] = q.if_unchanged;
  json::array probes;
  for (const Probe& p : q.probes) probes.push_back({{"type", p.type}, {"target", p.target}});
  o["probes"] = std::move(probes);
  return ContentHash::Of("rollback request", json::serialize(o)).Hex();
}

json::object RollbackToJson(const Rollback& r) {
  json::object o = Common(r, /*packed_keys=*/false);
  json::object plan;
  plan["add"] = r.adds;
  plan["remove"] = r.removes;
  plan["replace"] = r.replaces;
  json::array add, remove, replace;
  for (const Record& rec : r.add) add.push_back(RecordToJson(rec.ref()));
  for (const Record& rec : r.remove) remove.push_back(RecordToJson(rec.ref()));
  for (const ChangedRecord& c : r.replace) {
    replace.push_back({{"key", RecordKeyToJson({c.key, c.new_value})},
                       {"old", RecordToJson({c.key, c.old_value})},
                       {"new", RecordToJson({c.key, c.new_value})}});
  }
  plan["records"] = {
      {"add", std::move(add)}, {"remove", std::move(remove)}, {"replace", std::move(replace)}};
  plan["truncated"] = r.truncated;
  o["plan"] = std::move(plan);
  json::array failures;
  for (const RecordFailure& f : r.failures) {
    json::object fo;
    fo["record"] = f.value ? RecordToJson({f.key, *f.value}) : RecordKeyToJson({f.key, ""});
    fo["error"] = f.error;
    failures.push_back(std::move(fo));
  }
  o["failures"] = std::move(failures);
  return o;
}

std::string EncodeRollback(const Rollback& r) {
  json::object o = Common(r, /*packed_keys=*/true);
  o["created_ns"] = r.created_ns;
  o["updated_ns"] = r.updated_ns;
  o["deadline_ns"] = r.deadline_ns;
  o["confirm_within_ns"] = r.request.confirm_within_ns;
  o["if_unchanged"] = r.request.if_unchanged;
  o["idempotency_key"] = r.request.idempotency_key;
  o["counts"] = {r.adds, r.removes, r.replaces};
  json::array failures;
  for (const RecordFailure& f : r.failures) {
    json::object fo{{"key", HexEncode(f.key)}, {"error", f.error}};
    if (f.value) fo["value"] = HexEncode(*f.value);
    failures.push_back(std::move(fo));
  }
  o["failures"] = std::move(failures);
  return json::serialize(o);
}

Status DecodeRollback(const std::string& text, Rollback* out) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Corruption("rollback journal entry is not JSON");
  try {
    const json::object& o = v.as_object();
    Rollback r;
    r.id = json::value_to<std::string>(o.at("id"));
    r.source = json::value_to<std::string>(o.at("source"));
    auto state = RollbackStateFromName(o.at("state").as_string());
    if (!state) return Status::Corruption("rollback journal entry: unknown state");
    r.state = *state;
    r.request.source = r.source;
    r.request.to = json::value_to<std::string>(o.at("to"));
    r.target_version = o.at("target_version").to_number<uint64_t>();
    if (!o.at("pre_version").is_null()) r.pre_version = o.at("pre_version").to_number<uint64_t>();
    if (!o.at("post_version").is_null())
      r.post_version = o.at("post_version").to_number<uint64_t>();
    r.request.dry_run = o.at("dry_run").as_bool();
    r.request.reason = json::value_to<std::string>(o.at("reason"));
    r.request.force = o.at("force").as_bool();
    r.request.actor = json::value_to<std::string>(o.at("actor"));
    r.request.cause =
        CauseFromName(json::value_to<std::string>(o.at("cause"))).value_or(Cause::kRollback);
    r.request.confirm_within_ns = o.at("confirm_within_ns").to_number<int64_t>();
    r.request.if_unchanged = o.at("if_unchanged").as_bool();
    r.request.idempotency_key = json::value_to<std::string>(o.at("idempotency_key"));
    r.created_ns = o.at("created_ns").to_number<int64_t>();
    r.updated_ns = o.at("updated_ns").to_number<int64_t>();
    r.deadline_ns = o.at("deadline_ns").to_number<int64_t>();
    if (o.contains("error")) r.error = json::value_to<std::string>(o.at("error"));
    if (auto* t = o.if_contains("timings")) {
      const json::object& times = t->as_object();
      r.plan_ms = times.at("plan_ms").to_number<double>();
      r.apply_ms = times.at("apply_ms").to_number<double>();
      r.verify_ms = times.at("verify_ms").to_number<double>();
      r.total_ms = times.at("total_ms").to_number<double>();
    }
    const json::array& counts = o.at("counts").as_array();
    r.adds = counts.at(0).to_number<uint64_t>();
    r.removes = counts.at(1).to_number<uint64_t>();
    r.replaces = counts.at(2).to_number<uint64_t>();
    const json::object& scope = o.at("scope").as_object();
    if (auto* t = scope.if_contains("tables")) {
      for (auto& x : t->as_array()) r.request.scope.tables.push_back(x.to_number<uint32_t>());
    }
    if (auto* p = scope.if_contains("prefixes")) {
      for (auto& x : p->as_array()) {
        Prefix pf;
        NETSNAP_RETURN_IF_ERROR(Prefix::Parse(x.as_string(), &pf));
        r.request.scope.prefixes.push_back(pf);
      }
    }
    if (auto* k = scope.if_contains("kinds")) {
      for (auto& x : k->as_array()) {
        if (auto kind = RecordKindFromName(x.as_string())) r.request.scope.kinds.push_back(*kind);
      }
    }
    if (auto* d = scope.if_contains("domains")) {
      r.request.scope.domains = json::value_to<std::vector<std::string>>(*d);
    }
    if (auto* f = scope.if_contains("files")) {
      r.request.scope.files = json::value_to<std::vector<std::string>>(*f);
    }
    if (auto* k = scope.if_contains("record_keys_packed")) {
      if (!UnpackKeys(k->as_string(), &r.request.scope.keys)) {
        return Status::Corruption("rollback journal entry: bad record_keys_packed");
      }
    }
    if (auto* k = scope.if_contains("record_keys")) {  // journals before record_keys_packed
      for (auto& x : k->as_array()) {
        std::string key;
        if (HexDecode(x.as_string(), &key)) r.request.scope.keys.push_back(std::move(key));
      }
    }
    for (auto& p : o.at("probes").as_array()) {
      r.request.probes.push_back(
          {json::value_to<std::string>(p.at("type")), json::value_to<std::string>(p.at("target"))});
      const json::value* fb = p.as_object().if_contains("failed_before");  // older journals: none
      r.probe_failed_before.push_back(fb && fb->as_bool());
    }
    for (auto& f : o.at("failures").as_array()) {
      RecordFailure rf;
      HexDecode(f.at("key").as_string(), &rf.key);
      rf.error = json::value_to<std::string>(f.at("error"));
      if (const json::value* v = f.as_object().if_contains("value")) {  // older journals: none
        std::string value;
        if (!HexDecode(v->as_string(), &value)) {
          return Status::Corruption("rollback journal entry: bad failure value");
        }
        rf.value = std::move(value);
      }
      r.failures.push_back(std::move(rf));
    }
    *out = std::move(r);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("rollback journal entry: ") + e.what());
  }
  return Status::OK();
}

}  // namespace netsnap
