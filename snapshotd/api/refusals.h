// Calls refused before any handler ran (401, 403, 415, 421): counted in
// netsnap_http_refused_total{reason} and logged at most once a second with a count, but never
// stored as audit events, so that an unauthenticated client cannot fill the disk or the log.
// Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/mutex.h"
#include "core/metrics.h"

namespace netsnap::api {

class Refusals {
 public:
  explicit Refusals(Metrics* metrics);

  // Counts one refused call for `reason` from `client`.
  void Note(std::string_view reason, std::string_view client);

 private:
  Metrics* metrics_;
  Mutex mu_;
  std::chrono::steady_clock::time_point last_log_ GUARDED_BY(mu_);
  uint64_t unlogged_ GUARDED_BY(mu_) = 0;
};

}  // namespace netsnap::api
