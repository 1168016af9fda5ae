#include "api/rollback_adapter.h"

#include <boost/json.hpp>

#include "api/json.h"
#include "restore/probes.h"

namespace netsnap::api {

namespace json = boost::json;

namespace {

std::string Who(const Actor& a) { return a.cmdline.empty() ? a.process : a.cmdline; }

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

}  // namespace

json::object ManagedRollbacks::Render(const netsnap::Rollback& rb) {
  json::object o = RollbackToJson(rb);
  VersionHeader h;
  o["target"] = store_->Header(rb.source, rb.target_version, &h).ok() ? json::value(VersionJson(h))
                                                                      : json::value(nullptr);
  return o;
}

Status ManagedRollbacks::Rollback(const RollbackRequest& req, json::object* out) {
  netsnap::RollbackRequest r;
  r.source = req.source;
  r.to = req.to;
  r.dry_run = req.dry_run;
  NETSNAP_RETURN_IF_ERROR(ScopeFromJson(req.scope, &r.scope));
  r.confirm_within_ns = req.confirm_within_ns;
  r.reason = req.reason;
  r.force = req.force;
  r.if_unchanged = req.if_unchanged;
  r.idempotency_key = req.idempotency_key;
  r.actor = Who(req.actor);
  r.principal = req.principal;
  NETSNAP_RETURN_IF_ERROR(ParseProbes(req.probes, &r.probes));
  netsnap::Rollback rb;
  NETSNAP_RETURN_IF_ERROR(manager_->Submit(r, &rb));
  *out = Render(rb);
  return Status::OK();
}

Status ManagedRollbacks::List(json::object* out) {
  std::vector<netsnap::Rollback> all;
  NETSNAP_RETURN_IF_ERROR(manager_->List(1000, &all));
  json::array a;
  for (const auto& rb : all) a.push_back(Render(rb));
  (*out)["rollbacks"] = std::move(a);
  return Status::OK();
}

Status ManagedRollbacks::Get(const std::string& id, json::object* out) {
  netsnap::Rollback rb;
  NETSNAP_RETURN_IF_ERROR(manager_->Get(id, &rb));
  *out = Render(rb);
  return Status::OK();
}

Status ManagedRollbacks::Confirm(const std::string& id, const Actor& actor, json::object* out) {
  netsnap::Rollback rb;
  Status s = manager_->Confirm(id, Who(actor), &rb);
  if (s.ok() || (s.code() == Status::Code::kConflict && !rb.id.empty())) *out = Render(rb);
  return s;
}

Status ManagedRollbacks::Cancel(const std::string& id, const Actor& actor, json::object* out) {
  netsnap::Rollback rb;
  Status s = manager_->Cancel(id, Who(actor), &rb);
  if (s.ok() || (s.code() == Status::Code::kConflict && !rb.id.empty())) *out = Render(rb);
  return s;
}

}  // namespace netsnap::api
