#include "api/rollback_plan.h"

#include "api/json.h"
#include "api/params.h"
#include "api/rollback_scope.h"
#include "netsnap/render.h"

namespace netsnap::api {

namespace json = boost::json;

Status PlanRollback(const ApiContext& ctx, const RollbackRequest& req, json::object* out) {
  if (!req.dry_run) return Status::Internal("PlanRollback is for dry runs");
  Recorder* rec = ctx.FindSource(req.source);
  if (!rec) {
    NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, req.source));
    return Status::Conflict("source '" + req.source + "' is not configured; it has no live state");
  }
  RollbackScope scope;
  NETSNAP_RETURN_IF_ERROR(RollbackScope::FromJson(req.scope, &scope));
  HistoryPoint target;
  NETSNAP_RETURN_IF_ERROR(
      ResolvePoint(ctx, req.source, req.to, req.now_ns, false, &target).WithContext("to"));
  Snapshot want, live;
  NETSNAP_RETURN_IF_ERROR(ctx.store->Reconstruct(req.source, target.header.version, &want));
  NETSNAP_RETURN_IF_ERROR(rec->source()->ReadLive(&live));
  // Rolling back turns live into want: what want has and live lacks is added, and so on.
  Diff diff = ComputeDiff(scope.Filter(live), scope.Filter(want));

  json::object plan;
  plan["add"] = diff.added.size();
  plan["remove"] = diff.removed.size();
  plan["replace"] = diff.changed.size();
  json::object live_json;
  live_json["hash"] = live.hash().Hex();
  live_json["records"] = live.size();

  json::object changes;
  DiffJson(diff, &changes);
  out->clear();
  (*out)["id"] = nullptr;
  (*out)["state"] = "planned";
  (*out)["source"] = req.source;
  (*out)["to"] = VersionJson(target.header);
  (*out)["live"] = std::move(live_json);
  (*out)["scope"] = req.scope;
  (*out)["plan"] = std::move(plan);
  (*out)["add"] = std::move(changes["added"]);
  (*out)["remove"] = std::move(changes["removed"]);
  (*out)["replace"] = std::move(changes["changed"]);
  return Status::OK();
}

}  // namespace netsnap::api
