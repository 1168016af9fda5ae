// GET /metrics: the daemon's metrics in the Prometheus text format (docs/api.md, "Metrics").
// What mirrors the daemon's state (build, sources, store size, pauses, rollbacks awaiting
// confirmation, the process) is computed here at every scrape from the state itself, so it is
// never a stale copy; counters and histograms are those the modules keep in Metrics.
#include "api/handlers.h"
#include "api/rollback_service.h"
#include "core/process_metrics.h"
#include "detect/detection.h"
#include "netsnap_version.h"

namespace netsnap::api {

using boost::beast::http::verb;

namespace {

struct StateMetric {
  const char* name;
  const char* help;
};

// Every metric computed at scrape time is a gauge.
constexpr StateMetric kStateMetrics[] = {
    {"netsnap_build_info", "Always 1; the labels give the release and the git revision."},
    {"netsnap_source_up", "1 while the source runs; 0 when it is starting, degraded or stopped."},
    {"netsnap_last_capture_timestamp_seconds",
     "Wall time of the source's last stored capture (absent before the first)."},
    {"netsnap_latest_version", "Number of the source's newest version."},
    {"netsnap_records", "Records in the source's newest version."},
    {"netsnap_store_disk_bytes", "Bytes the store occupies on disk."},
    {"netsnap_detection_paused", "1 while the source's detection is paused, else 0."},
    {"netsnap_rollbacks_awaiting_confirmation",
     "Rollbacks applied that are reverted at their deadline unless confirmed."},
};

std::vector<MetricSample> StateSamples(const ApiContext& ctx) {
  std::vector<MetricSample> out = ProcessSamples();
  out.push_back({"netsnap_build_info",
                 {{"version", NETSNAP_VERSION}, {"revision", NETSNAP_GIT_DESCRIBE}},
                 1});
  out.push_back({"netsnap_store_disk_bytes", {}, static_cast<double>(ctx.store->DiskBytes())});
  for (Recorder* r : ctx.sources) {
    SourceState st = r->state();
    Labels source = {{"source", r->name()}};
    out.push_back({"netsnap_source_up", source, st.state == "running" ? 1.0 : 0.0});
    if (st.last_capture_ns > 0) {
      out.push_back({"netsnap_last_capture_timestamp_seconds", source,
                     static_cast<double>(st.last_capture_ns) / 1e9});
    }
    out.push_back({"netsnap_latest_version", source, static_cast<double>(st.latest.version)});
    out.push_back({"netsnap_records", source, static_cast<double>(st.latest.records)});
    if (ctx.detection) {
      out.push_back(
          {"netsnap_detection_paused", source, ctx.detection->Paused(r->name()) ? 1.0 : 0.0});
    }
  }
  if (ctx.rollbacks) {
    out.push_back({"netsnap_rollbacks_awaiting_confirmation",
                   {},
                   static_cast<double>(ctx.rollbacks->AwaitingConfirmation())});
  }
  return out;
}

}  // namespace

void AddMetricsRoutes(const ApiContext* ctx, Router* router) {
  for (const StateMetric& m : kStateMetrics) ctx->metrics->Describe(m.name, "gauge", m.help);
  DescribeProcessMetrics(ctx->metrics);
  router->Add(verb::get, "/metrics", Role::kViewer, [ctx](const ApiRequest&, ApiResponse* res) {
    res->Text(200, ctx->metrics->Render(StateSamples(*ctx)));
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return Status::OK();
  });
}

}  // namespace netsnap::api
