// What served a destination or a name at a time, and how long that answer held.
//
//   GET /v1/sources/{name}/lookup?dst=ADDR[&src=&iif=&oif=&mark=&uid=&ipproto=&sport=&dport=&tos=]
//                                 [&at=T][&compare=T2]          (kernel sources)
//   GET /v1/sources/{name}/lookup?name=DOMAIN[&at=T][&compare=T2] (resolver sources)
//
// `at` defaults to now; the answer comes from the newest version at or before it, read from the
// store's per-key change log (lookup/record_reader.h): only the records the answer needs, never
// the whole version. `held` gives the run of versions with the same answer, bounded by the
// versions at which a record the answer read changed (lookup/answer_interval.h).
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cctype>

#include "api/handlers.h"
#include "api/json.h"
#include "api/params.h"
#include "common/coding.h"
#include "common/render.h"
#include "lookup/answer_interval.h"
#include "lookup/fib_lookup.h"
#include "lookup/resolver_lookup.h"
#include "netsnap/time.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;
using lookup::Answer;
using lookup::Flow;

namespace {

// Each side of the run asks the answer again at most this many times: at versions where a
// record it read changed but the answer did not (a rule or route changed and changed back, a
// route of the same prefix with another metric). Beyond, "complete": false. Each asking reads
// a few dozen keys (about a millisecond).
constexpr size_t kMaxSteps = 256;

Status NumberParam(const ApiRequest& req, std::string_view name, uint64_t max, uint64_t* out) {
  const std::string* v = req.Query(name);
  if (!v) return Status::OK();
  std::string_view t = *v;
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    t.remove_prefix(2);
  }
  uint64_t n = 0;
  bool ok = !t.empty() && t.size() <= 20;
  for (char c : t) {
    int d = c >= '0' && c <= '9' ? c - '0'
            : base == 16 && std::isxdigit(static_cast<unsigned char>(c))
                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                : -1;
    if (d < 0 || n > (max - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      ok = false;
      break;
    }
    n = n * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (!ok) {
    return Status::InvalidArgument(std::string(name) + " must be a number from 0 to " +
                                   std::to_string(max) + " (decimal or 0x hex), not '" + *v + "'");
  }
  *out = n;
  return Status::OK();
}

Status AddressParam(const ApiRequest& req, std::string_view name, Address* out) {
  const std::string* v = req.Query(name);
  if (!v) return Status::OK();
  if (!Address::Parse(*v, out).ok()) {
    return Status::InvalidArgument(std::string(name) + " must be an IPv4 or IPv6 address, not '" +
                                   *v + "'");
  }
  return Status::OK();
}

Status InterfaceParam(const ApiRequest& req, std::string_view name, std::string* out) {
  const std::string* v = req.Query(name);
  if (!v) return Status::OK();
  // IFNAMSIZ - 1 characters, none of which the kernel refuses in a name.
  bool ok = !v->empty() && v->size() <= 15 && *v != "." && *v != "..";
  for (char c : *v) ok = ok && c > ' ' && c != '/' && c != ':' && c != 0x7f;
  if (!ok) return Status::InvalidArgument(std::string(name) + " must be an interface name");
  *out = *v;
  return Status::OK();
}

Status ProtoParam(const ApiRequest& req, uint8_t* out) {
  const std::string* v = req.Query("ipproto");
  if (!v) return Status::OK();
  static const std::pair<const char*, uint8_t> kNames[] = {
      {"icmp", 1}, {"tcp", 6},        {"udp", 17},    {"dccp", 33},
      {"gre", 47}, {"ipv6-icmp", 58}, {"icmpv6", 58}, {"sctp", 132}};
  for (const auto& [n, p] : kNames) {
    if (*v == n) {
      *out = p;
      return Status::OK();
    }
  }
  uint64_t n = 0;
  NETSNAP_RETURN_IF_ERROR(NumberParam(req, "ipproto", 255, &n));
  *out = static_cast<uint8_t>(n);
  return Status::OK();
}

Status FlowParams(const ApiRequest& req, Flow* f) {
  const std::string* dst = req.Query("dst");
  if (!dst) return Status::InvalidArgument("dst is required (or name= for a resolver source)");
  NETSNAP_RETURN_IF_ERROR(AddressParam(req, "dst", &f->dst));
  NETSNAP_RETURN_IF_ERROR(AddressParam(req, "src", &f->src));
  if (!f->src.empty() && f->src.family != f->dst.family) {
    return Status::InvalidArgument("src must be of the same address family as dst");
  }
  NETSNAP_RETURN_IF_ERROR(InterfaceParam(req, "iif", &f->iif));
  NETSNAP_RETURN_IF_ERROR(InterfaceParam(req, "oif", &f->oif));
  uint64_t n = 0;
  NETSNAP_RETURN_IF_ERROR(NumberParam(req, "mark", 0xffffffffu, &n));
  f->mark = static_cast<uint32_t>(n);
  if (req.Query("uid")) {
    n = 0;
    NETSNAP_RETURN_IF_ERROR(NumberParam(req, "uid", 0xffffffffu, &n));
    f->uid = static_cast<uint32_t>(n);
  }
  NETSNAP_RETURN_IF_ERROR(ProtoParam(req, &f->ipproto));
  n = 0;
  NETSNAP_RETURN_IF_ERROR(NumberParam(req, "sport", 65535, &n));
  f->sport = static_cast<uint16_t>(n);
  n = 0;
  NETSNAP_RETURN_IF_ERROR(NumberParam(req, "dport", 65535, &n));
  f->dport = static_cast<uint16_t>(n);
  n = 0;
  NETSNAP_RETURN_IF_ERROR(NumberParam(req, "tos", 255, &n));
  f->tos = static_cast<uint8_t>(n);
  return Status::OK();
}

// One question, for either kind of source: answers it from `reader`, as a fingerprint (bytes
// equal exactly when the answers are) and, when `out` is not null, as JSON.
using Question =
    std::function<Status(lookup::RecordReader* reader, std::string* fp, json::object* out)>;

void PutRecord(std::string* out, const std::optional<Record>& r) {
  PutLengthPrefixed(out, r ? r->key : "");
  PutLengthPrefixed(out, r ? r->value : "");
}

std::string KernelFingerprint(const Answer& a) {
  std::string fp(1, static_cast<char>(a.outcome));
  PutRecord(&fp, a.rule);
  PutFixed32BE(&fp, a.table);
  PutRecord(&fp, a.route);
  for (const lookup::Path& p : a.paths) {
    PutLengthPrefixed(&fp, p.gateway.ToString());
    PutLengthPrefixed(&fp, p.dev);
    PutFixed32BE(&fp, p.weight);
    PutFixed32BE(&fp, p.nhid);
    PutFixed32BE(&fp, p.group);
  }
  return fp;
}

json::value RecordJson(const std::optional<Record>& r) {
  return r ? json::value(RecordToJson(r->ref())) : json::value(nullptr);
}

void KernelAnswerJson(const Answer& a, json::object* out) {
  (*out)["outcome"] = lookup::OutcomeName(a.outcome);
  (*out)["rule"] = RecordJson(a.rule);
  (*out)["table"] = a.route ? json::value(TableName(a.table)) : json::value(nullptr);
  (*out)["route"] = RecordJson(a.route);
  json::array paths;
  for (const lookup::Path& p : a.paths) {
    json::object o;
    o["gateway"] = p.gateway.empty() ? json::value(nullptr) : json::value(p.gateway.ToString());
    o["dev"] = p.dev.empty() ? json::value(nullptr) : json::value(p.dev);
    o["weight"] = p.weight;
    o["nhid"] = p.nhid ? json::value(p.nhid) : json::value(nullptr);
    o["group"] = p.group ? json::value(p.group) : json::value(nullptr);
    paths.push_back(std::move(o));
  }
  (*out)["nexthops"] = std::move(paths);
  json::array walk;
  for (const lookup::RuleStep& s : a.walk) {
    json::object o;
    o["rule"] = RecordToText(s.rule.ref());
    o["result"] = s.what;
    o["table"] = s.table ? json::value(TableName(s.table)) : json::value(nullptr);
    walk.push_back(std::move(o));
  }
  (*out)["walk"] = std::move(walk);
  if (a.ifgroup_unknown) (*out)["ifgroup_not_evaluated"] = true;
}

Question KernelQuestion(const Flow& flow) {
  return [flow](lookup::RecordReader* reader, std::string* fp, json::object* out) -> Status {
    Answer a;
    NETSNAP_RETURN_IF_ERROR(lookup::FibLookup(reader, flow, &a));
    *fp = KernelFingerprint(a);
    if (out) KernelAnswerJson(a, out);
    return Status::OK();
  };
}

Question ResolverQuestion(const std::string& name) {
  return [name](lookup::RecordReader* reader, std::string* fp, json::object* out) -> Status {
    lookup::ResolverAnswer a;
    NETSNAP_RETURN_IF_ERROR(lookup::ResolverLookup(reader, name, &a));
    fp->clear();
    PutRecord(fp, a.rule);
    if (out) {
      (*out)["outcome"] = a.rule ? "rule" : "no_rule";
      (*out)["matched"] = a.rule ? json::value(a.matched) : json::value(nullptr);
      (*out)["rule"] = RecordJson(a.rule);
    }
    return Status::OK();
  };
}

json::object PointJson(const VersionHeader& h) {
  json::object o;
  o["version"] = h.version;
  o["time"] = TimeJson(h.time_ns);
  return o;
}

// The answer at time t: the version it comes from, the answer, and the run it held for.
Status AnswerAt(const ApiContext& ctx, const std::string& source, int64_t t, const Question& q,
                json::object* out, std::string* fingerprint) {
  VersionHeader h;
  Status s = ctx.store->AtOrBefore(source, t, &h);
  if (s.IsNotFound()) {
    return Status::NotFound("source '" + source + "' has no version at or before " + FormatTime(t));
  }
  NETSNAP_RETURN_IF_ERROR(s);
  auto ask = [&](uint64_t version, lookup::AsOfAnswer* a, json::object* render) -> Status {
    lookup::KeyLogReader reader(ctx.store, source, version);
    NETSNAP_RETURN_IF_ERROR(q(&reader, &a->fingerprint, render));
    a->last_change = reader.last_change();
    a->next_change = reader.next_change();
    a->before_log = reader.before_log();
    return Status::OK();
  };
  (*out)["at"] = TimeJson(t);
  (*out)["version"] = VersionJson(h);
  lookup::AsOfAnswer answer;
  NETSNAP_RETURN_IF_ERROR(ask(h.version, &answer, out));
  *fingerprint = answer.fingerprint;
  lookup::Held held;
  NETSNAP_RETURN_IF_ERROR(lookup::AnswerHeld(
      ctx.store, source, h, answer,
      [&](uint64_t version, lookup::AsOfAnswer* a) { return ask(version, a, nullptr); }, kMaxSteps,
      &held));
  json::object o;
  o["since"] = PointJson(held.since);
  o["until"] = held.until ? json::value(PointJson(*held.until)) : json::value(nullptr);
  o["complete"] = held.complete;
  (*out)["held"] = std::move(o);
  return Status::OK();
}

Status Lookup(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  const std::string& source = req.Param("name");
  NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, source));
  const std::string* name = req.Query("name");
  if (name && req.Query("dst")) return Status::InvalidArgument("give dst or name, not both");
  Question q;
  json::object query;
  if (name) {
    lookup::ResolverAnswer probe;
    NETSNAP_RETURN_IF_ERROR(lookup::ResolverLookup(Snapshot(), *name, &probe).WithContext("name"));
    q = ResolverQuestion(*name);
    query["name"] = *name;
  } else {
    Flow flow;
    NETSNAP_RETURN_IF_ERROR(FlowParams(req, &flow));
    q = KernelQuestion(flow);
    for (const char* k :
         {"dst", "src", "iif", "oif", "mark", "uid", "ipproto", "sport", "dport", "tos"}) {
      if (const std::string* v = req.Query(k)) query[k] = *v;
    }
  }
  int64_t at = req.now_ns;
  NETSNAP_RETURN_IF_ERROR(TimeParam(req, "at", &at));
  std::optional<int64_t> compare;
  if (req.Query("compare")) {
    compare = req.now_ns;
    NETSNAP_RETURN_IF_ERROR(TimeParam(req, "compare", &*compare));
  }
  json::object out;
  out["source"] = source;
  out["query"] = std::move(query);
  std::string fp;
  NETSNAP_RETURN_IF_ERROR(AnswerAt(ctx, source, at, q, &out, &fp));
  if (compare) {
    json::object other;
    std::string other_fp;
    NETSNAP_RETURN_IF_ERROR(AnswerAt(ctx, source, *compare, q, &other, &other_fp));
    json::array changed;
    for (const char* k : {"outcome", "rule", "table", "route", "nexthops", "matched"}) {
      if (out.contains(k) && out.at(k) != other.at(k)) changed.push_back(json::string(k));
    }
    out["compare"] = std::move(other);
    out["changed"] = std::move(changed);
  }
  res->Json(200, out);
  return Status::OK();
}

}  // namespace

void AddLookupRoutes(const ApiContext* ctx, Router* router) {
  router->Add(
      verb::get, "/v1/sources/{name}/lookup", Role::kViewer,
      [ctx](const ApiRequest& req, ApiResponse* res) { return Lookup(*ctx, req, res); },
      Runs::kWorker);  // reads the store, maybe hundreds of keys: never on an I/O thread
}

}  // namespace netsnap::api
