// The plan of a rollback, computed without changing anything: the difference between the live
// state and the target version, restricted to a scope. Serves dry runs until the rollback
// module (issue 6) takes over through RollbackService.
#pragma once

#include <boost/json/object.hpp>

#include "api/context.h"
#include "api/rollback_service.h"
#include "netsnap/status.h"

namespace netsnap::api {

// Computes the plan for `req` (req.dry_run must be true) into *out:
//   {"id":null,"state":"planned","source","to":{version header},"live":{"hash","records"},
//    "scope":{…},"plan":{"add","remove","replace"},"add":[…],"remove":[…],
//    "replace":[{"key","old","new"}]}
Status PlanRollback(const ApiContext& ctx, const RollbackRequest& req, boost::json::object* out);

}  // namespace netsnap::api
