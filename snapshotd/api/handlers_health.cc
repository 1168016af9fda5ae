// GET /v1/health: "ok" when every configured source is running, else "degraded".
#include <boost/json/object.hpp>

#include "api/handlers.h"
#include "api/json.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

void AddHealthRoutes(const ApiContext* ctx, Router* router) {
  router->Add(verb::get, "/v1/health", Role::kViewer, [ctx](const ApiRequest&, ApiResponse* res) {
    bool healthy = true;
    json::array sources;
    for (Recorder* r : ctx->sources) {
      SourceState st = r->state();
      healthy = healthy && st.state == "running";
      json::object o;
      o["name"] = r->name();
      o["state"] = st.state;
      o["last_capture"] = TimeJson(st.last_capture_ns);
      o["error"] = st.error.empty() ? json::value(nullptr) : json::value(st.error);
      sources.push_back(std::move(o));
    }
    json::object out;
    out["status"] = healthy ? "ok" : "degraded";
    out["sources"] = std::move(sources);
    if (ctx->reload) {
      // {"ok", "error", "time"} of the last reload; null before the first.
      ReloadOutcome r = ctx->reload->Get();
      json::object reload;
      reload["ok"] = r.ok;
      reload["error"] = r.error.empty() ? json::value(nullptr) : json::value(r.error);
      reload["time"] = TimeJson(r.time_ns);
      out["reload"] = r.attempted ? json::value(std::move(reload)) : json::value(nullptr);
    }
    res->Json(200, out);
    return Status::OK();
  });
}

}  // namespace netsnap::api
