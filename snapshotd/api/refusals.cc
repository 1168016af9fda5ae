#include "api/refusals.h"

#include <spdlog/spdlog.h>

namespace netsnap::api {

namespace {
constexpr const char* kRefused = "netsnap_http_refused_total";
constexpr std::chrono::seconds kLogEvery{1};
}  // namespace

Refusals::Refusals(Metrics* metrics) : metrics_(metrics) {
  metrics_->Describe(kRefused, "counter",
                     "API calls refused before a handler ran, by reason (the error code).");
}

void Refusals::Note(std::string_view reason, std::string_view client) {
  metrics_->Add(kRefused, {{"reason", std::string(reason)}});
  MutexLock lock(&mu_);
  ++unlogged_;
  auto now = std::chrono::steady_clock::now();
  if (now - last_log_ < kLogEvery) return;
  // The client and reason are ours (an address, a uid, an error code), never request text.
  spdlog::warn("api: refused {} call(s) since the last report; latest: {} from {}", unlogged_,
               reason, client);
  last_log_ = now;
  unlogged_ = 0;
}

}  // namespace netsnap::api
