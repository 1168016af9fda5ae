// GET /v1/sources: configured sources, then sources that only have history in the store (their
// kind and namespace are null).
#include <boost/json/object.hpp>
#include <set>

#include "api/handlers.h"
#include "api/json.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

json::object SourceJson(const ApiContext& ctx, const std::string& name, Recorder* rec) {
  json::object o;
  o["name"] = name;
  o["kind"] = rec ? json::value(rec->source()->kind()) : json::value(nullptr);
  o["namespace"] = rec ? json::value(rec->source()->where()) : json::value(nullptr);
  VersionHeader latest;
  if (ctx.store->Latest(name, &latest).ok()) {
    o["latest_version"] = latest.version;
    o["latest_time"] = TimeJson(latest.time_ns);
    o["records"] = latest.records;
  } else {
    o["latest_version"] = nullptr;
    o["latest_time"] = nullptr;
    o["records"] = nullptr;
  }
  return o;
}

}  // namespace

void AddSourceRoutes(const ApiContext* ctx, Router* router) {
  router->Add(verb::get, "/v1/sources", Role::kViewer, [ctx](const ApiRequest&, ApiResponse* res) {
    json::array sources;
    std::set<std::string> seen;
    for (Recorder* r : ctx->sources) {
      seen.insert(r->name());
      sources.push_back(SourceJson(*ctx, r->name(), r));
    }
    for (const std::string& name : ctx->store->Sources()) {
      if (!seen.count(name)) sources.push_back(SourceJson(*ctx, name, nullptr));
    }
    json::object out;
    out["sources"] = std::move(sources);
    res->Json(200, out);
    return Status::OK();
  });
}

}  // namespace netsnap::api
