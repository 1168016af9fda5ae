// The webhook: posts events as JSON to an http:// URL from a worker thread, with a bounded
// queue (when full, the oldest event is dropped and counted), retries with exponential backoff
// (200 ms doubling to 10 s) and a timeout on each step of every attempt (connecting, sending,
// waiting for the answer). A 2xx answer is a delivery.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/metrics.h"
#include "netsnap/http_client.h"
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
  // InvalidArgument for a URL that is not http:// with a host.
  static Status Create(const WebhookOptions& options, Metrics* metrics,
                       std::unique_ptr<Webhook>* out);
  ~Webhook();

  // Queues one JSON document; never blocks.
  void Post(std::string json);
  // Stops the worker; events still queued are dropped (and counted).
  void Stop();
  const std::string& url() const { return options_.url; }

 private:
  Webhook(WebhookOptions options, Metrics* metrics);
  void Run();
  // One POST; OK on a 2xx answer.
  Status Send(const std::string& body);

  const WebhookOptions options_;
  Metrics* metrics_;
  HttpRequest request_;  // without its body
  HttpLimits limits_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace netsnap
