// POST /v1/backup {"path": "/abs/new-dir"}: an online checkpoint of the store, verified version
// by version (store/backup.h), while capture goes on. Operators only; the path is checked as
// hostile input (store/backup_target.h). Answers 201 with what was verified; one backup at a
// time (409 while another runs).
#include <boost/json/object.hpp>
#include <memory>
#include <mutex>

#include "api/handlers.h"
#include "api/json.h"
#include "common/mutex.h"
#include "store/backup.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

double Ms(int64_t ns) { return static_cast<double>(ns / 1000) / 1000.0; }

Status Backup(const ApiContext& ctx, Mutex* running, const ApiRequest& req, ApiResponse* res) {
  json::object body;
  NETSNAP_RETURN_IF_ERROR(ParseObject(req.body, &body));
  for (const auto& kv : body) {
    if (kv.key() != "path") {
      return Status::InvalidArgument("unknown field '" + std::string(kv.key()) + "'; only path");
    }
  }
  const json::value* path = body.if_contains("path");
  if (!path || !path->is_string()) {
    return Status::InvalidArgument("the body must name the backup directory: {\"path\": \"/…\"}");
  }
  // Guards no data, only one backup at a time: a std::unique_lock for its try_to_lock.
  std::unique_lock lock(*running, std::try_to_lock);
  if (!lock.owns_lock()) return Status::Conflict("a backup is running; retry when it is done");
  store::BackupReport report;
  NETSNAP_RETURN_IF_ERROR(store::BackupStore(ctx.store, std::string(path->as_string()), &report));
  json::object out;
  out["path"] = report.path;
  out["sources"] = report.sources;
  out["versions"] = report.versions;
  out["records"] = report.records;
  out["bytes"] = report.bytes;
  out["checkpoint_ms"] = Ms(report.checkpoint_ns);
  out["verify_ms"] = Ms(report.verify_ns);
  res->Json(201, out);
  res->audit.emplace_back("path", report.path);
  res->audit.emplace_back("versions", std::to_string(report.versions));
  return Status::OK();
}

}  // namespace

void AddBackupRoutes(const ApiContext* ctx, Router* router) {
  auto running = std::make_shared<Mutex>();
  router->Add(
      verb::post, "/v1/backup", Role::kOperator,
      [ctx, running](const ApiRequest& req, ApiResponse* res) {
        return Backup(*ctx, running.get(), req, res);
      },
      Runs::kWorker);  // copies and reads the whole store: never on an I/O thread
}

}  // namespace netsnap::api
