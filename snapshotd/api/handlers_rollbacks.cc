// Rollback endpoints. They parse, authorise (operator) and audit; the work is the
// RollbackService's. Without one they answer 503.
//
//   POST /v1/sources/{name}/rollbacks  {"to","dry_run","scope","confirm_within_s","reason",
//                                       "force","if_unchanged","probes"}
//   GET  /v1/rollbacks    GET /v1/rollbacks/{id}
//   POST /v1/rollbacks/{id}/confirm    POST /v1/rollbacks/{id}/cancel
//
// A reused Idempotency-Key with another body is 422 idempotency_mismatch; a confirm or cancel
// that lost to another (or to the deadline) is 409 conflict with the rollback's actual "state"
// in the error object.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>

#include "api/audit.h"
#include "api/handlers.h"
#include "api/json.h"
#include "api/params.h"
#include "api/rollback_service.h"
#include "restore/probes.h"
#include "restore/rollback.h"
#include "restore/scope.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

void NoRollbacks(ApiResponse* res) {
  res->Error(503, "unavailable", "this server has no rollback module");
}

Status ParseBool(const json::object& o, const char* name, bool* out) {
  const json::value* v = o.if_contains(name);
  if (!v) return Status::OK();
  if (!v->is_bool()) return Status::InvalidArgument(std::string(name) + " must be true or false");
  *out = v->as_bool();
  return Status::OK();
}

// Who a rollback, a confirm or a cancel is by, as the journal and events name them: the
// principal's name (ActorOf's cmdline), or "api" when it has none.
std::string RollbackActor(const Principal& who) {
  Actor a = ActorOf(who);
  return a.cmdline.empty() ? a.process : a.cmdline;
}

Status ParseProbes(const json::array& in, std::vector<Probe>* out) {
  for (const json::value& v : in) {
    const json::object* o = v.if_object();
    if (!o || !o->if_contains("type") || !o->if_contains("target") || !o->at("type").is_string() ||
        !o->at("target").is_string() || o->size() != 2) {
      return Status::InvalidArgument(
          "probes: each is {\"type\": \"tcp\"|\"dns\"|\"gateway\", \"target\": \"...\"}");
    }
    Probe p{std::string(o->at("type").as_string()), std::string(o->at("target").as_string())};
    NETSNAP_RETURN_IF_ERROR(ValidateProbe(p).WithContext("probes"));
    out->push_back(std::move(p));
  }
  return Status::OK();
}

// Fills *out from the request, but for the scope and probes (ParseScopeAndProbes).
Status ParseRequest(const ApiRequest& req, const json::object& body, RollbackRequest* out) {
  for (const auto& kv : body) {
    std::string_view k = kv.key();
    if (k != "to" && k != "dry_run" && k != "scope" && k != "confirm_within_s" && k != "reason" &&
        k != "force" && k != "if_unchanged" && k != "probes") {
      // A misspelt "dry_run" must not turn into a real rollback.
      return Status::InvalidArgument("unknown field '" + std::string(k) + "'");
    }
  }
  out->source = req.Param("name");
  const json::value* to = body.if_contains("to");
  if (!to) return Status::InvalidArgument("to is required (a version number or a time)");
  if (to->is_string()) {
    out->to = std::string(to->as_string());
  } else if (to->is_uint64() || to->is_int64()) {
    out->to = json::serialize(*to);
  } else {
    return Status::InvalidArgument("to must be a version number or a time string");
  }
  NETSNAP_RETURN_IF_ERROR(ParseBool(body, "dry_run", &out->dry_run));
  NETSNAP_RETURN_IF_ERROR(ParseBool(body, "force", &out->force));
  NETSNAP_RETURN_IF_ERROR(ParseBool(body, "if_unchanged", &out->if_unchanged));
  if (const json::value* v = body.if_contains("scope"); v && !v->is_object()) {
    return Status::InvalidArgument("scope must be an object");
  }
  if (const json::value* v = body.if_contains("probes"); v && !v->is_array()) {
    return Status::InvalidArgument("probes must be a list");
  }
  if (const json::value* v = body.if_contains("confirm_within_s")) {
    if (!v->is_number() || v->to_number<double>() < 0 || !std::isfinite(v->to_number<double>()) ||
        v->to_number<double>() > 86400 * 7) {
      return Status::InvalidArgument("confirm_within_s must be seconds between 0 and 604800");
    }
    out->confirm_within_ns = static_cast<int64_t>(v->to_number<double>() * 1e9);
  }
  if (const json::value* v = body.if_contains("reason")) {
    if (!v->is_string()) return Status::InvalidArgument("reason must be a string");
    out->reason = std::string(v->as_string());
  }
  auto key = req.headers.find("idempotency-key");
  if (key != req.headers.end()) out->idempotency_key = key->second;
  out->actor = RollbackActor(req.principal);
  out->principal = req.principal.name;
  return Status::OK();
}

// The scope and the probes, whose shapes ParseRequest checked; after the audit fields are
// noted and a rollback module is known to be there.
Status ParseScopeAndProbes(const json::object& body, RollbackRequest* out) {
  if (const json::value* v = body.if_contains("scope")) {
    NETSNAP_RETURN_IF_ERROR(ScopeFromJson(v->as_object(), &out->scope));
  }
  if (const json::value* v = body.if_contains("probes")) {
    NETSNAP_RETURN_IF_ERROR(ParseProbes(v->as_array(), &out->probes));
  }
  return Status::OK();
}

Status StartRollback(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  json::object body;
  NETSNAP_RETURN_IF_ERROR(ParseObject(req.body, &body));
  RollbackRequest rb;
  NETSNAP_RETURN_IF_ERROR(ParseRequest(req, body, &rb));
  res->audit.emplace_back("to", rb.to);
  res->audit.emplace_back("dry_run", rb.dry_run ? "true" : "false");
  if (!rb.reason.empty()) res->audit.emplace_back("reason", rb.reason);
  json::object out;
  if (!ctx.rollbacks) {
    NoRollbacks(res);
    return Status::OK();
  }
  NETSNAP_RETURN_IF_ERROR(ParseScopeAndProbes(body, &rb));
  Status s = ctx.rollbacks->Rollback(rb, &out);
  if (IsIdempotencyMismatch(s)) {
    res->Error(422, "idempotency_mismatch", s.message());
    return Status::OK();
  }
  NETSNAP_RETURN_IF_ERROR(s);
  if (const json::value* id = out.if_contains("id"); id && id->is_string()) {
    res->audit.emplace_back("rollback", std::string(id->as_string()));
  }
  res->Json(200, out);
  return Status::OK();
}

// Runs `call` on the rollback service, or answers 503 without one.
template <typename Call>
Status WithService(const ApiContext& ctx, ApiResponse* res, Call call) {
  if (!ctx.rollbacks) {
    NoRollbacks(res);
    return Status::OK();
  }
  json::object out;
  Status s = call(ctx.rollbacks, &out);
  if (s.code() == Status::Code::kConflict && out.contains("state")) {
    // The state that won (confirmed, reverting, reverted, ...), so that a client need not ask.
    res->Json(409, json::object{{"error", json::object{{"code", s.CodeName()},
                                                       {"message", s.message()},
                                                       {"state", out.at("state")}}}});
    return Status::OK();
  }
  NETSNAP_RETURN_IF_ERROR(s);
  res->Json(200, out);
  return Status::OK();
}

}  // namespace

void AddRollbackRoutes(const ApiContext* ctx, Router* router) {
  router->Add(
      verb::post, "/v1/sources/{name}/rollbacks", Role::kOperator,
      [ctx](const ApiRequest& req, ApiResponse* res) { return StartRollback(*ctx, req, res); },
      Runs::kWorker);
  router->Add(
      verb::get, "/v1/rollbacks", Role::kViewer,
      [ctx](const ApiRequest&, ApiResponse* res) {
        return WithService(*ctx, res,
                           [](RollbackService* s, json::object* out) { return s->List(out); });
      },
      Runs::kWorker);
  router->Add(verb::get, "/v1/rollbacks/{id}", Role::kViewer,
              [ctx](const ApiRequest& req, ApiResponse* res) {
                return WithService(*ctx, res, [&](RollbackService* s, json::object* out) {
                  return s->Get(req.Param("id"), out);
                });
              });
  router->Add(
      verb::post, "/v1/rollbacks/{id}/confirm", Role::kOperator,
      [ctx](const ApiRequest& req, ApiResponse* res) {
        res->audit.emplace_back("rollback", req.Param("id"));
        return WithService(*ctx, res, [&](RollbackService* s, json::object* out) {
          return s->Confirm(req.Param("id"), RollbackActor(req.principal), out);
        });
      },
      Runs::kWorker);
  router->Add(
      verb::post, "/v1/rollbacks/{id}/cancel", Role::kOperator,
      [ctx](const ApiRequest& req, ApiResponse* res) {
        res->audit.emplace_back("rollback", req.Param("id"));
        return WithService(*ctx, res, [&](RollbackService* s, json::object* out) {
          return s->Cancel(req.Param("id"), RollbackActor(req.principal), out);
        });
      },
      Runs::kWorker);
}

}  // namespace netsnap::api
