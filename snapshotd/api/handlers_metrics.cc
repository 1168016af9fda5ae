// GET /metrics: the daemon's metrics in the Prometheus text format, with the store's size and
// each source's latest version and record count refreshed at scrape time.
#include "api/handlers.h"

namespace netsnap::api {

using boost::beast::http::verb;

namespace {

void Refresh(const ApiContext& ctx) {
  Metrics* m = ctx.metrics;
  m->Describe("netsnap_store_disk_bytes", "gauge", "Bytes the store occupies on disk.");
  m->Describe("netsnap_versions_stored", "gauge",
              "Versions of each source (the newest version number).");
  m->Describe("netsnap_source_records", "gauge", "Records in the newest version of each source.");
  m->Set("netsnap_store_disk_bytes", {}, static_cast<double>(ctx.store->DiskBytes()));
  for (const std::string& name : ctx.store->Sources()) {
    VersionHeader h;
    if (!ctx.store->Latest(name, &h).ok()) continue;
    m->Set("netsnap_versions_stored", {{"source", name}}, static_cast<double>(h.version));
    m->Set("netsnap_source_records", {{"source", name}}, static_cast<double>(h.records));
  }
}

}  // namespace

void AddMetricsRoutes(const ApiContext* ctx, Router* router) {
  router->Add(verb::get, "/metrics", Role::kViewer, [ctx](const ApiRequest&, ApiResponse* res) {
    Refresh(*ctx);
    res->Text(200, ctx->metrics->Render());
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return Status::OK();
  });
}

}  // namespace netsnap::api
