// What API handlers work with: the store, the recorders of the configured sources, the event
// bus and metrics, and the optional rollback module. Everything is owned elsewhere and outlives
// the server.
#pragma once

#include <string_view>
#include <vector>

#include "core/event_bus.h"
#include "core/metrics.h"
#include "core/recorder.h"
#include "core/reload_state.h"
#include "netsnap/store.h"

namespace netsnap::api {

class RollbackService;
}  // namespace netsnap::api

namespace netsnap {
class Detection;
}  // namespace netsnap

namespace netsnap::api {

struct ApiContext {
  Store* store = nullptr;
  EventBus* events = nullptr;
  Metrics* metrics = nullptr;
  std::vector<Recorder*> sources;        // configured sources; fixed while the server runs
  RollbackService* rollbacks = nullptr;  // null until the rollback module is plugged in
  Detection* detection = nullptr;        // pause, resume and policy; null without one
  const ReloadState* reload = nullptr;   // the last SIGHUP's outcome; null without a daemon

  // The recorder of a configured source, or null (its history may still be in the store).
  Recorder* FindSource(std::string_view name) const {
    for (Recorder* r : sources) {
      if (r->name() == name) return r;
    }
    return nullptr;
  }
};

}  // namespace netsnap::api
