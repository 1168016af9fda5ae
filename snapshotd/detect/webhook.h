// The webhook: posts events as JSON to an http:// URL from a worker thread, with a bounded
// queue (when full, the oldest event is dropped and counted), retries with exponential backoff
// (200 ms doubling to 10 s, on the monotonic clock) and a timeout on each step of every
// attempt (connecting, sending, waiting for the answer). A 2xx answer is a delivery.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "common/http_client.h"
#include "common/mutex.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "netsnap/status.h"

namespace netsnap {

struct WebhookOptions {
  std::string url;  // http://host[:port][/path]
  size_t queue = 1000;
  int retries = 5;  // attempts after the first
  int64_t timeout_ms = 2000;
  int64_t backoff_ms = 200;
  int64_t backoff_max_ms = 10'000;
};

class Webhook {
 public:
  // InvalidArgument for a URL that is not http:// with a host. The backoff between attempts
  // waits on `clock` (the per-step timeout is the socket's, on the real clock).
  static Status Create(const WebhookOptions& options, Metrics* metrics,
                       std::unique_ptr<Webhook>* out, const Clock* clock = Clock::Real());
  ~Webhook();

  // Queues one JSON document; never blocks.
  void Post(std::string json);
  // Stops the worker; events still queued are dropped (and counted).
  void Stop() EXCLUDES(mu_);
  const std::string& url() const { return options_.url; }

 private:
  Webhook(WebhookOptions options, Metrics* metrics, const Clock* clock);
  void Run() EXCLUDES(mu_);
  // One POST; OK on a 2xx answer. Blocks up to the timeout of each step: mu_ is not held.
  Status Send(const std::string& body) EXCLUDES(mu_);

  const WebhookOptions options_;
  Metrics* metrics_;
  const Clock* clock_;
  HttpRequest request_;  // without its body
  HttpLimits limits_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::string> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The webhooks of every source: one worker per URL in use, shared by the sources that name it.
// A worker ends (its thread joined, its queue dropped and counted) as soon as no source uses
// its URL any more, so changing policies never leaks threads. Thread-safe.
class WebhookSet {
 public:
  explicit WebhookSet(Metrics* metrics, const Clock* clock = Clock::Real())
      : metrics_(metrics), clock_(clock) {}
  ~WebhookSet() { StopAll(); }

  // Sends `source`'s events to options.url from now on; an empty URL sends them nowhere. A
  // new URL starts a worker with `options`; InvalidArgument for a bad URL.
  Status Use(const std::string& source, const WebhookOptions& options) EXCLUDES(mu_);
  // Queues `json` for the webhook of `source`, if it has one; never blocks.
  void Post(const std::string& source, std::string json);
  // Workers running now.
  size_t workers();
  void StopAll() EXCLUDES(mu_);

 private:
  Metrics* metrics_;
  const Clock* clock_;
  // Taken before a worker's Webhook::mu_ (Post).
  Mutex mu_;
  std::map<std::string, std::unique_ptr<Webhook>> by_url_ GUARDED_BY(mu_);
  std::map<std::string, std::string> url_of_ GUARDED_BY(mu_);  // by source
};

}  // namespace netsnap
