// Route tables, one function per resource; each adds its routes to the router. Handlers only
// read `ctx`, which outlives the router.
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace netsnap::api {

// A set of routes a dispatcher serves (AddAllRoutes, AddMonitoringRoutes).
using RouteTable = void (*)(const ApiContext* ctx, Router* router);

void AddHealthRoutes(const ApiContext* ctx, Router* router);    // /v1/health
void AddSourceRoutes(const ApiContext* ctx, Router* router);    // /v1/sources
void AddVersionRoutes(const ApiContext* ctx, Router* router);   // versions, at
void AddDiffRoutes(const ApiContext* ctx, Router* router);      // diff
void AddSnapshotRoutes(const ApiContext* ctx, Router* router);  // POST snapshots
void AddRollbackRoutes(const ApiContext* ctx, Router* router);  // rollbacks
void AddEventRoutes(const ApiContext* ctx, Router* router);     // /v1/events
void AddMetricsRoutes(const ApiContext* ctx, Router* router);   // /metrics
void AddPolicyRoutes(const ApiContext* ctx, Router* router);    // pause, resume, policy
void AddLookupRoutes(const ApiContext* ctx, Router* router);    // lookup
void AddHistoryRoutes(const ApiContext* ctx, Router* router);   // history of one record
void AddBackupRoutes(const ApiContext* ctx, Router* router);    // POST /v1/backup

// The routes of [daemon] metrics_listen: health and metrics only.
inline void AddMonitoringRoutes(const ApiContext* ctx, Router* router) {
  AddHealthRoutes(ctx, router);
  AddMetricsRoutes(ctx, router);
}

// Every route above.
inline void AddAllRoutes(const ApiContext* ctx, Router* router) {
  AddHealthRoutes(ctx, router);
  AddSourceRoutes(ctx, router);
  AddVersionRoutes(ctx, router);
  AddDiffRoutes(ctx, router);
  AddSnapshotRoutes(ctx, router);
  AddRollbackRoutes(ctx, router);
  AddEventRoutes(ctx, router);
  AddMetricsRoutes(ctx, router);
  AddPolicyRoutes(ctx, router);
  AddLookupRoutes(ctx, router);
  AddHistoryRoutes(ctx, router);
  AddBackupRoutes(ctx, router);
}

}  // namespace netsnap::api
