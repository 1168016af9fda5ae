#include "api/rollback_adapter.h"

#include <boost/json.hpp>

#include "api/json.h"

namespace netsnap::api {

namespace json = boost::json;

json::object ManagedRollbacks::Render(const netsnap::Rollback& rb) {
  json::object o = RollbackToJson(rb);
  VersionHeader h;
  o["target"] = store_->Header(rb.source, rb.target_version, &h).ok() ? json::value(VersionJson(h))
                                                                      : json::value(nullptr);
  return o;
}

Status ManagedRollbacks::Rollback(const netsnap::RollbackRequest& req, json::object* out) {
  netsnap::Rollback rb;
  NETSNAP_RETURN_IF_ERROR(manager_->Submit(req, &rb));
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

Status ManagedRollbacks::Confirm(const std::string& id, const std::string& actor,
                                 json::object* out) {
  netsnap::Rollback rb;
  Status s = manager_->Confirm(id, actor, &rb);
  if (s.ok() || (s.code() == Status::Code::kConflict && !rb.id.empty())) *out = Render(rb);
  return s;
}

Status ManagedRollbacks::Cancel(const std::string& id, const std::string& actor,
                                json::object* out) {
  netsnap::Rollback rb;
  Status s = manager_->Cancel(id, actor, &rb);
  if (s.ok() || (s.code() == Status::Code::kConflict && !rb.id.empty())) *out = Render(rb);
  return s;
}

}  // namespace netsnap::api
