#include "detect/webhook.h"

// Beast's parser trips a false -Wmaybe-uninitialized in GCC 12 with sanitizers on.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <chrono>

namespace netsnap {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Status Webhook::Create(const WebhookOptions& options, Metrics* metrics,
                       std::unique_ptr<Webhook>* out) {
  auto u = boost::urls::parse_absolute_uri(options.url);
  if (!u || u->scheme() != "http" || u->host().empty()) {
    return Status::InvalidArgument("webhook_url '" + options.url +
                                   "' must be an http:// URL with a host");
  }
  std::unique_ptr<Webhook> w(new Webhook(options, metrics));
  w->host_ = std::string(u->encoded_host());
  if (w->host_.size() > 2 && w->host_.front() == '[')
    w->host_ = w->host_.substr(1, w->host_.size() - 2);
  w->port_ = u->has_port() ? std::string(u->port()) : "80";
  w->target_ = std::string(u->encoded_target());
  if (w->target_.empty()) w->target_ = "/";
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  *out = std::move(w);
  return Status::OK();
}

Webhook::Webhook(WebhookOptions options, Metrics* metrics)
    : options_(std::move(options)), metrics_(metrics) {
  metrics_->Describe("netsnap_webhook_sent_total", "counter", "Events the webhook delivered.");
  metrics_->Describe("netsnap_webhook_dropped_total", "counter",
                     "Events the webhook dropped (queue full, retries exhausted, shutdown).");
  metrics_->Describe("netsnap_webhook_failures_total", "counter", "Failed webhook attempts.");
}

Webhook::~Webhook() { Stop(); }

void Webhook::Post(std::string json) {
  {
    std::lock_guard l(mu_);
    if (stopping_) return;
    if (queue_.size() >= options_.queue) {
      queue_.pop_front();
      metrics_->Add("netsnap_webhook_dropped_total", {{"reason", "queue_full"}});
    }
    queue_.push_back(std::move(json));
  }
  cv_.notify_all();
}

void Webhook::Stop() {
  {
    std::lock_guard l(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard l(mu_);
  if (!queue_.empty()) {
    metrics_->Add("netsnap_webhook_dropped_total", {{"reason", "shutdown"}},
                  static_cast<double>(queue_.size()));
    queue_.clear();
  }
}

void Webhook::Run() {
  std::unique_lock l(mu_);
  while (true) {
    cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string body = std::move(queue_.front());
    queue_.pop_front();
    int64_t backoff = options_.backoff_ms;
    bool sent = false;
    for (int attempt = 0; attempt <= options_.retries && !stopping_; ++attempt) {
      l.unlock();
      Status s = Send(body);
      l.lock();
      if (s.ok()) {
        sent = true;
        break;
      }
      metrics_->Add("netsnap_webhook_failures_total");
      spdlog::warn("webhook {}: attempt {} failed: {}", options_.url, attempt + 1, s.ToString());
      if (attempt == options_.retries) break;
      cv_.wait_for(l, std::chrono::milliseconds(backoff), [&] { return stopping_; });
      backoff = std::min(backoff * 2, options_.backoff_max_ms);
    }
    if (sent)
      metrics_->Add("netsnap_webhook_sent_total");
    else
      metrics_->Add("netsnap_webhook_dropped_total", {{"reason", "undelivered"}});
  }
}

// Asynchronous operations on a private io_context, run to completion on this thread: the
// synchronous Beast calls cannot time out, and a webhook that hangs must not stall the queue.
Status Webhook::Send(const std::string& body) {
  boost::asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{http::verb::post, target_, 11};
  req.set(http::field::host, host_ + (port_ == "80" ? "" : ":" + port_));
  req.set(http::field::user_agent, "snapshotd");
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> res;
  res.body_limit(64 * 1024);
  res.header_limit(8 * 1024);
  beast::error_code result;
  auto deadline = std::chrono::milliseconds(options_.timeout_ms);
  auto fail = [&](beast::error_code ec) { result = ec; };
  resolver.async_resolve(host_, port_, [&](beast::error_code ec, tcp::resolver::results_type r) {
    if (ec) return fail(ec);
    stream.expires_after(deadline);
    stream.async_connect(r, [&](beast::error_code ec2, const tcp::endpoint&) {
      if (ec2) return fail(ec2);
      stream.expires_after(deadline);
      http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
        if (ec3) return fail(ec3);
        stream.expires_after(deadline);
        http::async_read(stream, buffer, res, [&](beast::error_code ec4, size_t) {
          if (ec4) fail(ec4);
        });
      });
    });
  });
  ioc.run_for(deadline * 4);
  if (!ioc.stopped()) return Status::IOError("timed out");
  if (result) return Status::IOError(result.message());
  if (!res.is_done()) return Status::IOError("no complete answer");
  unsigned code = res.get().result_int();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (code < 200 || code >= 300) return Status::IOError("answer " + std::to_string(code));
  return Status::OK();
}

}  // namespace netsnap
