// POST /v1/sources/{name}/snapshots [{"note": "..."}]: capture the live state now. Answers 201
// with the new version, or 200 with the existing one when nothing changed.
#include <boost/json/object.hpp>

#include "api/audit.h"
#include "api/handlers.h"
#include "api/json.h"
#include "api/params.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

Status Capture(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  const std::string& name = req.Param("name");
  NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, name));
  Recorder* rec = ctx.FindSource(name);
  if (!rec) return Status::Conflict("source '" + name + "' is not configured; it cannot capture");
  json::object body;
  NETSNAP_RETURN_IF_ERROR(ParseObject(req.body, &body));
  std::string note = "manual snapshot by " + req.principal.name;
  if (const json::value* v = body.if_contains("note")) {
    if (!v->is_string()) return Status::InvalidArgument("note must be a string");
    note = std::string(v->as_string());
  }
  uint64_t before = rec->state().latest.version;
  VersionHeader h;
  NETSNAP_RETURN_IF_ERROR(rec->CaptureNow(Cause::kManual, ActorOf(req.principal), note, &h));
  bool created = h.version > before;
  json::object out = VersionJson(h);
  out["created"] = created;
  res->Json(created ? 201 : 200, out);
  res->audit.emplace_back("version", std::to_string(h.version));
  return Status::OK();
}

}  // namespace

void AddSnapshotRoutes(const ApiContext* ctx, Router* router) {
  router->Add(
      verb::post, "/v1/sources/{name}/snapshots", Role::kOperator,
      [ctx](const ApiRequest& req, ApiResponse* res) { return Capture(*ctx, req, res); },
      Runs::kWorker);
}

}  // namespace netsnap::api
