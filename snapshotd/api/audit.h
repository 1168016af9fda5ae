// The audit trail: every call to a mutating route (allowed or not) is published on the event
// bus as an "audit" event (stored, logged, streamed): who, role, what, source, outcome.
#pragma once

#include <string>

#include "api/context.h"
#include "api/request.h"
#include "netsnap/version.h"

namespace netsnap::api {

// The actor recorded for changes made through the API: process "api", cmdline the caller's name.
Actor ActorOf(const Principal& who);

// Publishes the audit event for `what` ("POST /v1/sources/{name}/snapshots") on `source`
// answered with `res`.
void Audit(const ApiContext& ctx, const Principal& who, const std::string& what,
           const std::string& source, const ApiResponse& res);

}  // namespace netsnap::api
