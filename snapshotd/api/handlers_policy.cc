// Detection policy at run time (the detection module, detect/detection.h):
//   POST /v1/sources/{name}/pause   {"duration": "30m", "reason": "..."}  let a planned change in
//   POST /v1/sources/{name}/resume                                        detect (and restore)
//   again GET  /v1/sources/{name}/policy                                        the policy and its
//   state PUT  /v1/sources/{name}/policy  {policy keys...}                      replace the policy
// The webhook keys come from the configuration file only (a PUT that changes one is 400), and
// viewers do not see webhook_url ("webhook": "configured" says there is one).
// Without a detection module they answer 503.
#include <boost/json.hpp>

#include "api/audit.h"
#include "api/handlers.h"
#include "api/json.h"
#include "api/params.h"
#include "detect/detection.h"
#include "netsnap/time.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

constexpr int64_t kMaxPauseNs = 7LL * 86400 * 1000000000;

template <typename Fn>
Status WithDetection(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res, Fn fn) {
  if (!ctx.detection) {
    res->Error(503, "unavailable", "this server has no detection module");
    return Status::OK();
  }
  const std::string& name = req.Param("name");
  NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, name));
  return fn(name);
}

Status Pause(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  return WithDetection(ctx, req, res, [&](const std::string& name) {
    json::object body;
    NETSNAP_RETURN_IF_ERROR(ParseObject(req.body, &body));
    for (const auto& kv : body) {
      if (kv.key() != "duration" && kv.key() != "reason") {
        return Status::InvalidArgument("unknown field '" + std::string(kv.key()) +
                                       "' (duration, reason)");
      }
    }
    int64_t duration = 0;  // until resumed
    if (const json::value* d = body.if_contains("duration")) {
      if (!d->is_string()) return Status::InvalidArgument("duration must be a string like \"30m\"");
      NETSNAP_RETURN_IF_ERROR(ParseDuration(d->as_string(), &duration));
      if (duration <= 0 || duration > kMaxPauseNs) {
        return Status::InvalidArgument("duration must be more than 0 and at most 7d");
      }
    }
    std::string reason;
    if (const json::value* r = body.if_contains("reason")) {
      if (!r->is_string()) return Status::InvalidArgument("reason must be a string");
      reason = std::string(r->as_string());
    }
    NETSNAP_RETURN_IF_ERROR(ctx.detection->Pause(name, duration, reason, req.principal.name));
    res->audit.emplace_back("reason", reason);
    json::object out;
    NETSNAP_RETURN_IF_ERROR(ctx.detection->GetPolicy(name, &out));
    res->Json(200, out);
    return Status::OK();
  });
}

Status Resume(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  return WithDetection(ctx, req, res, [&](const std::string& name) {
    NETSNAP_RETURN_IF_ERROR(ctx.detection->Resume(name));
    json::object out;
    NETSNAP_RETURN_IF_ERROR(ctx.detection->GetPolicy(name, &out));
    res->Json(200, out);
    return Status::OK();
  });
}

Status GetPolicy(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  return WithDetection(ctx, req, res, [&](const std::string& name) {
    json::object out;
    NETSNAP_RETURN_IF_ERROR(ctx.detection->GetPolicy(name, &out));
    // The URL often holds a secret (a token in its path or query).
    if (req.principal.role != Role::kOperator) out.erase("webhook_url");
    res->Json(200, out);
    return Status::OK();
  });
}

Status PutPolicy(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  return WithDetection(ctx, req, res, [&](const std::string& name) {
    json::object body;
    NETSNAP_RETURN_IF_ERROR(ParseObject(req.body, &body));
    json::object out;
    NETSNAP_RETURN_IF_ERROR(ctx.detection->SetPolicy(name, body, &out));
    res->Json(200, out);
    return Status::OK();
  });
}

}  // namespace

void AddPolicyRoutes(const ApiContext* ctx, Router* router) {
  router->Add(
      verb::post, "/v1/sources/{name}/pause", Role::kOperator,
      [ctx](const ApiRequest& req, ApiResponse* res) { return Pause(*ctx, req, res); },
      Runs::kWorker);
  router->Add(
      verb::post, "/v1/sources/{name}/resume", Role::kOperator,
      [ctx](const ApiRequest& req, ApiResponse* res) { return Resume(*ctx, req, res); },
      Runs::kWorker);
  router->Add(verb::get, "/v1/sources/{name}/policy", Role::kViewer,
              [ctx](const ApiRequest& req, ApiResponse* res) { return GetPolicy(*ctx, req, res); });
  router->Add(
      verb::put, "/v1/sources/{name}/policy", Role::kOperator,
      [ctx](const ApiRequest& req, ApiResponse* res) { return PutPolicy(*ctx, req, res); },
      Runs::kWorker);
}

}  // namespace netsnap::api
