#include "detect/webhook.h"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>
#include <chrono>

namespace netsnap {

Status Webhook::Create(const WebhookOptions& options, Metrics* metrics,
                       std::unique_ptr<Webhook>* out, const Clock* clock) {
  auto u = boost::urls::parse_absolute_uri(options.url);
  if (!u || u->scheme() != "http" || u->host().empty()) {
    return Status::InvalidArgument("webhook_url '" + options.url +
                                   "' must be an http:// URL with a host");
  }
  std::unique_ptr<Webhook> w(new Webhook(options, metrics, clock));
  HttpRequest& r = w->request_;
  r.method = "POST";
  r.host = std::string(u->encoded_host());
  if (r.host.size() > 2 && r.host.front() == '[') r.host = r.host.substr(1, r.host.size() - 2);
  r.port = u->has_port() ? std::string(u->port()) : "80";
  r.target = std::string(u->encoded_target());
  if (r.target.empty()) r.target = "/";
  r.headers = {{"User-Agent", "snapshotd"}, {"Content-Type", "application/json"}};
  w->limits_.timeout = std::chrono::milliseconds(options.timeout_ms);
  w->limits_.header_bytes = 8 << 10;
  w->limits_.body_bytes = 64 << 10;
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  *out = std::move(w);
  return Status::OK();
}

Webhook::Webhook(WebhookOptions options, Metrics* metrics, const Clock* clock)
    : options_(std::move(options)), metrics_(metrics), clock_(clock) {
  metrics_->Describe("netsnap_webhook_sent_total", "counter", "Events the webhook delivered.");
  metrics_->Describe("netsnap_webhook_dropped_total", "counter",
                     "Events the webhook dropped (queue full, retries exhausted, shutdown).");
  metrics_->Describe("netsnap_webhook_failures_total", "counter", "Failed webhook attempts.");
}

Webhook::~Webhook() { Stop(); }

void Webhook::Post(std::string json) {
  {
    MutexLock l(&mu_);
    if (stopping_) return;
    if (queue_.size() >= options_.queue) {
      queue_.pop_front();
      metrics_->Add("netsnap_webhook_dropped_total", {{"reason", "queue_full"}});
    }
    queue_.push_back(std::move(json));
  }
  cv_.SignalAll();
}

void Webhook::Stop() {
  {
    MutexLock l(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
  MutexLock l(&mu_);
  if (!queue_.empty()) {
    metrics_->Add("netsnap_webhook_dropped_total", {{"reason", "shutdown"}},
                  static_cast<double>(queue_.size()));
    queue_.clear();
  }
}

void Webhook::Run() {
  MutexLock l(&mu_);
  while (true) {
    cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string body = std::move(queue_.front());
    queue_.pop_front();
    int64_t backoff = options_.backoff_ms;
    bool sent = false;
    for (int attempt = 0; attempt <= options_.retries && !stopping_; ++attempt) {
      mu_.Unlock();
      Status s = Send(body);
      mu_.Lock();
      if (s.ok()) {
        sent = true;
        break;
      }
      metrics_->Add("netsnap_webhook_failures_total");
      spdlog::warn("webhook {}: attempt {} failed: {}", options_.url, attempt + 1, s.ToString());
      if (attempt == options_.retries) break;
      const int64_t retry_at = clock_->MonotonicNs() + backoff * 1000000;
      while (!stopping_ && clock_->MonotonicNs() < retry_at)
        clock_->WaitUntil(&cv_, &mu_, retry_at);
      backoff = std::min(backoff * 2, options_.backoff_max_ms);
    }
    if (sent)
      metrics_->Add("netsnap_webhook_sent_total");
    else
      metrics_->Add("netsnap_webhook_dropped_total", {{"reason", "undelivered"}});
  }
}

Status Webhook::Send(const std::string& body) {
  HttpRequest request = request_;
  request.body = body;
  HttpAnswer answer;
  NETSNAP_RETURN_IF_ERROR(HttpCall(request, limits_, &answer));
  if (answer.status < 200 || answer.status >= 300) {
    return Status::IOError("answer " + std::to_string(answer.status));
  }
  return Status::OK();
}

Status WebhookSet::Use(const std::string& source, const WebhookOptions& options) {
  std::unique_ptr<Webhook> unused;
  {
    MutexLock l(&mu_);
    if (!options.url.empty() && !by_url_.count(options.url)) {
      std::unique_ptr<Webhook> w;
      NETSNAP_RETURN_IF_ERROR(Webhook::Create(options, metrics_, &w, clock_));
      by_url_[options.url] = std::move(w);
    }
    std::string old = url_of_.count(source) ? url_of_[source] : "";
    if (options.url.empty()) {
      url_of_.erase(source);
    } else {
      url_of_[source] = options.url;
    }
    bool still_used = false;
    for (const auto& [s, url] : url_of_) still_used = still_used || url == old;
    if (!old.empty() && !still_used) {
      unused = std::move(by_url_[old]);
      by_url_.erase(old);
    }
  }
  // Outside the lock: the worker may be in an attempt that takes up to its timeout.
  if (unused) unused->Stop();
  return Status::OK();
}

void WebhookSet::Post(const std::string& source, std::string json) {
  MutexLock l(&mu_);
  auto it = url_of_.find(source);
  if (it == url_of_.end()) return;
  auto h = by_url_.find(it->second);
  if (h != by_url_.end()) h->second->Post(std::move(json));
}

size_t WebhookSet::workers() {
  MutexLock l(&mu_);
  return by_url_.size();
}

void WebhookSet::StopAll() {
  std::map<std::string, std::unique_ptr<Webhook>> all;
  {
    MutexLock l(&mu_);
    all.swap(by_url_);
    url_of_.clear();
  }
  for (auto& [url, hook] : all) hook->Stop();
}

}  // namespace netsnap
