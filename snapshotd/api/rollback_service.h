// The seam between the API and the rollback module. The API parses and authorises requests,
// audits them and renders results; a RollbackService (rollback_adapter.h) does the work.
// Without one (ApiContext::rollbacks null) rollback calls answer 503. A request is the rollback
// module's own RollbackRequest (restore/rollback.h), which the API fills from the body.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <string>

#include "netsnap/status.h"
#include "restore/rollback.h"

namespace netsnap::api {

class RollbackService {
 public:
  virtual ~RollbackService() = default;
  // Plans (dry run) or performs a rollback; *out is the rollback as GET /v1/rollbacks/{id}
  // shows it. Refused (blast-radius guard) and Conflict (one at a time) become 409; an
  // Idempotency-Key reused with another request is IdempotencyMismatch (restore/rollback.h).
  virtual Status Rollback(const netsnap::RollbackRequest& req, boost::json::object* out) = 0;
  // {"rollbacks":[...]}, newest first.
  virtual Status List(boost::json::object* out) = 0;
  virtual Status Get(const std::string& id, boost::json::object* out) = 0;
  // How many rollbacks await confirmation now; cheap (no store read), for /metrics.
  virtual size_t AwaitingConfirmation() = 0;
  // Confirm and Cancel: Conflict when the rollback is not awaiting confirmation, with *out the
  // rollback in its actual state. `actor` names who asked, as RollbackRequest::actor does.
  virtual Status Confirm(const std::string& id, const std::string& actor,
                         boost::json::object* out) = 0;
  virtual Status Cancel(const std::string& id, const std::string& actor,
                        boost::json::object* out) = 0;
};

}  // namespace netsnap::api
