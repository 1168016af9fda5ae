// The seam between the API and the rollback module. The API parses and authorises requests,
// audits them and renders results; a RollbackService (rollback_adapter.h) does the work.
// Without one (ApiContext::rollbacks null) rollback calls answer 503.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "netsnap/status.h"
#include "netsnap/version.h"

namespace netsnap::api {

// POST /v1/sources/{name}/rollbacks, parsed.
struct RollbackRequest {
  std::string source;
  std::string to;  // a version number or a time, as the caller wrote it
  bool dry_run = false;
  boost::json::object scope;      // {"tables","prefixes","kinds","domains","files"}, each optional
  boost::json::array probes;      // [{"type","target"}]
  int64_t confirm_within_ns = 0;  // 0: no confirmation needed
  std::string reason;
  bool force = false;
  bool if_unchanged = false;
  std::string idempotency_key;  // the Idempotency-Key header, "" when absent
  Actor actor;                  // who asked (the API principal)
  std::string principal;        // its name: an Idempotency-Key is bound to it
  int64_t now_ns = 0;
};

class RollbackService {
 public:
  virtual ~RollbackService() = default;
  // Plans (dry run) or performs a rollback; *out is the rollback as GET /v1/rollbacks/{id}
  // shows it. Refused (blast-radius guard) and Conflict (one at a time) become 409; an
  // Idempotency-Key reused with another request is IdempotencyMismatch (restore/rollback.h).
  virtual Status Rollback(const RollbackRequest& req, boost::json::object* out) = 0;
  // {"rollbacks":[...]}, newest first.
  virtual Status List(boost::json::object* out) = 0;
  virtual Status Get(const std::string& id, boost::json::object* out) = 0;
  // How many rollbacks await confirmation now; cheap (no store read), for /metrics.
  virtual size_t AwaitingConfirmation() = 0;
  // Confirm and Cancel: Conflict when the rollback is not awaiting confirmation, with *out the
  // rollback in its actual state.
  virtual Status Confirm(const std::string& id, const Actor& actor, boost::json::object* out) = 0;
  virtual Status Cancel(const std::string& id, const Actor& actor, boost::json::object* out) = 0;
};

}  // namespace netsnap::api
