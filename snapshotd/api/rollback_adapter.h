// Serves the rollback endpoints with the rollback module (restore/rollback_manager.h).
#pragma once

#include "api/rollback_service.h"
#include "restore/rollback_manager.h"

namespace netsnap::api {

class ManagedRollbacks : public RollbackService {
 public:
  ManagedRollbacks(RollbackManager* manager, Store* store) : manager_(manager), store_(store) {}
  Status Rollback(const netsnap::RollbackRequest& req, boost::json::object* out) override;
  Status List(boost::json::object* out) override;
  Status Get(const std::string& id, boost::json::object* out) override;
  size_t AwaitingConfirmation() override { return manager_->AwaitingConfirmation(); }
  Status Confirm(const std::string& id, const std::string& actor,
                 boost::json::object* out) override;
  Status Cancel(const std::string& id, const std::string& actor, boost::json::object* out) override;

 private:
  // The rollback as JSON, with its target version's header as "target".
  boost::json::object Render(const netsnap::Rollback& rb);

  RollbackManager* manager_;
  Store* store_;
};

}  // namespace netsnap::api
