// Every change to one record, from the store's per-key change log (store/keylog.h).
//
//   GET /v1/sources/{name}/history?dst=PREFIX[&table=T]   routes to PREFIX (every tos, metric)
//   GET /v1/sources/{name}/history?domain=DOMAIN          the resolver rule of DOMAIN
//   GET /v1/sources/{name}/history?key=HEX                any record, by its key
//       [&since=T][&until=T][&limit=N]
//
// Each change names its version (time, cause, actor) and whether the record appeared, changed
// (with the value before) or vanished, oldest first. `log_starts_at_version` names the first
// version the log covers when the source has older versions (written before it existed).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstring>

#include "api/handlers.h"
#include "api/json.h"
#include "api/params.h"
#include "common/coding.h"
#include "common/render.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

constexpr size_t kDefaultLimit = 1000;
constexpr size_t kMaxLimit = 10000;

Status TableParam(const std::string& text, uint32_t* out) {
  static const std::pair<const char*, uint32_t> kNames[] = {
      {"main", 254}, {"local", 255}, {"default", 253}};
  for (const auto& [n, t] : kNames) {
    if (text == n) {
      *out = t;
      return Status::OK();
    }
  }
  uint64_t v = 0;
  bool ok = !text.empty() && text.size() <= 10;
  for (char c : text) {
    ok = ok && c >= '0' && c <= '9';
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || v == 0 || v > 0xffffffffu) {
    return Status::InvalidArgument("table must be main, local, default or a number from 1 to " +
                                   std::to_string(0xffffffffu) + ", not '" + text + "'");
  }
  *out = static_cast<uint32_t>(v);
  return Status::OK();
}

// Reads dst/table, domain or key into a change-log query.
Status Selector(const ApiRequest& req, KeyHistoryQuery* q, json::object* query) {
  const std::string* dst = req.Query("dst");
  const std::string* domain = req.Query("domain");
  const std::string* key = req.Query("key");
  if ((dst != nullptr) + (domain != nullptr) + (key != nullptr) != 1) {
    return Status::InvalidArgument("give exactly one of dst, domain or key");
  }
  if (domain) {
    if (domain->empty() || domain->size() > 253) {
      return Status::InvalidArgument("domain must be 1 to 253 characters");
    }
    q->key_prefix = ResolverRule::KeyFor(*domain);
    const std::string exact = q->key_prefix;
    q->match = [exact](std::string_view k) { return k == exact; };
    (*query)["domain"] = *domain;
    return Status::OK();
  }
  if (key) {
    std::string bytes;
    if (key->empty() || key->size() > 2048 || !HexDecode(*key, &bytes)) {
      return Status::InvalidArgument("key must be a record key in hex (as key_hex shows it)");
    }
    q->key_prefix = bytes;
    q->match = [bytes](std::string_view k) { return k == bytes; };
    (*query)["key"] = *key;
    return Status::OK();
  }
  Prefix p;
  if (!Prefix::Parse(*dst, &p).ok()) {
    return Status::InvalidArgument("dst must be a prefix such as 10.1.0.0/16, not '" + *dst + "'");
  }
  (*query)["dst"] = *dst;
  if (const std::string* table = req.Query("table")) {
    uint32_t t = 0;
    NETSNAP_RETURN_IF_ERROR(TableParam(*table, &t));
    q->key_prefix = netsnap::Route::DestinationKeyPrefix(t, p);
    (*query)["table"] = *table;
    return Status::OK();
  }
  // Every table: the routes of the family whose destination is p.
  q->key_prefix = netsnap::Route::FamilyKeyPrefix(p.family);
  // Route keys: kind, family, table (4 bytes), then the destination's address and length.
  const std::string addr_and_len = netsnap::Route::DestinationKeyPrefix(0, p).substr(6);
  q->match = [addr_and_len](std::string_view k) {
    return k.size() >= 6 + addr_and_len.size() && k.substr(6, addr_and_len.size()) == addr_and_len;
  };
  return Status::OK();
}

json::value RecordOrNull(const std::string& key, const std::optional<std::string>& value) {
  return value ? json::value(RecordToJson({key, *value})) : json::value(nullptr);
}

Status History(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  const std::string& name = req.Param("name");
  NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, name));
  KeyHistoryQuery q;
  json::object query;
  NETSNAP_RETURN_IF_ERROR(Selector(req, &q, &query));
  int64_t since = INT64_MIN, until = INT64_MAX;
  NETSNAP_RETURN_IF_ERROR(TimeParam(req, "since", &since));
  NETSNAP_RETURN_IF_ERROR(TimeParam(req, "until", &until));
  size_t limit = 0;
  NETSNAP_RETURN_IF_ERROR(LimitParam(req, kDefaultLimit, kMaxLimit, &limit));
  // Read one entry more than the page, and every earlier entry of the records (for "changed"
  // and the value before): the log of one record is short, its whole history is the answer.
  q.limit = kMaxLimit * 10;
  std::vector<KeyChange> log;
  bool truncated = false;
  uint64_t log_start = 0;
  Status s = ctx.store->KeyHistory(name, q, &log, &truncated);
  if (s.ok()) s = ctx.store->KeyLogStart(name, &log_start);
  if (s.IsNotFound()) s = Status::OK();  // a configured source without versions yet
  NETSNAP_RETURN_IF_ERROR(s);
  struct Item {
    VersionHeader h;
    const KeyChange* change;
    const KeyChange* before;  // the record's previous entry, or null
  };
  std::vector<Item> items;
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i].start) continue;  // the value when the log started: the next one's `before`
    const KeyChange* before = i > 0 && log[i - 1].key == log[i].key ? &log[i - 1] : nullptr;
    VersionHeader h;
    NETSNAP_RETURN_IF_ERROR(ctx.store->Header(name, log[i].version, &h));
    if (h.time_ns < since || h.time_ns > until) continue;
    items.push_back({h, &log[i], before});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.h.version < b.h.version; });
  json::array changes;
  for (const Item& it : items) {
    if (changes.size() == limit) {
      truncated = true;
      break;
    }
    const bool existed = it.before && it.before->value;
    json::object o;
    o["version"] = it.h.version;
    o["time"] = TimeJson(it.h.time_ns);
    o["cause"] = std::string(CauseName(it.h.cause));
    o["actor"] = ActorJson(it.h.actor);
    o["change"] = !it.change->value ? "vanished" : existed ? "changed" : "appeared";
    o["record"] = RecordOrNull(it.change->key, it.change->value);
    o["before"] = existed ? RecordOrNull(it.before->key, it.before->value) : json::value(nullptr);
    changes.push_back(std::move(o));
  }
  json::object out;
  out["source"] = name;
  out["query"] = std::move(query);
  out["changes"] = std::move(changes);
  out["truncated"] = truncated;
  // Versions written before the log started (by a netsnap without it) have no changes here.
  out["log_starts_at_version"] = log_start ? json::value(log_start) : json::value(nullptr);
  res->Json(200, out);
  return Status::OK();
}

}  // namespace

void AddHistoryRoutes(const ApiContext* ctx, Router* router) {
  router->Add(
      verb::get, "/v1/sources/{name}/history", Role::kViewer,
      [ctx](const ApiRequest& req, ApiResponse* res) { return History(*ctx, req, res); },
      Runs::kWorker);  // rebuilds past versions: never on an I/O thread
}

}  // namespace netsnap::api
