// The webhook against a small HTTP server in the test: delivery, retries after failures, and
// the bounded queue dropping the oldest events.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "detect/webhook.h"
#include "http_server.h"

namespace netsnap {
namespace {

using testing::TestServer;

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST(Webhook, RejectsOtherSchemes) {
  Metrics m;
  std::unique_ptr<Webhook> w;
  EXPECT_FALSE(Webhook::Create({.url = "https://example.com/"}, &m, &w).ok());
  EXPECT_FALSE(Webhook::Create({.url = "not a url"}, &m, &w).ok());
}

TEST(Webhook, DeliversWithRetries) {
  TestServer server({500, 503, 200});
  Metrics m;
  std::unique_ptr<Webhook> w;
  WebhookOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/hook";
  o.backoff_ms = 10;
  ASSERT_TRUE(Webhook::Create(o, &m, &w).ok());
  w->Post(R"({"type":"detection"})");
  ASSERT_TRUE(WaitFor([&] { return server.bodies().size() == 1; }, std::chrono::seconds(20)));
  EXPECT_EQ(server.bodies()[0], R"({"type":"detection"})");
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(m.Get("netsnap_webhook_failures_total"), 2);
  ASSERT_TRUE(
      WaitFor([&] { return m.Get("netsnap_webhook_sent_total") == 1; }, std::chrono::seconds(5)));
  w->Stop();
}

TEST(Webhook, GivesUpAfterRetries) {
  TestServer server({500});
  Metrics m;
  std::unique_ptr<Webhook> w;
  WebhookOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  o.retries = 2;
  o.backoff_ms = 5;
  ASSERT_TRUE(Webhook::Create(o, &m, &w).ok());
  w->Post("{}");
  ASSERT_TRUE(WaitFor(
      [&] {
        return m.Get("netsnap_webhook_dropped_total", {{"reason", "undelivered"}}) == 1;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(server.requests(), 3);
}

TEST(Webhook, BoundedQueueDropsOldest) {
  TestServer server({200}, /*stall=*/true);
  Metrics m;
  std::unique_ptr<Webhook> w;
  WebhookOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  o.queue = 2;
  o.retries = 0;
  o.timeout_ms = 1000;
  ASSERT_TRUE(Webhook::Create(o, &m, &w).ok());
  w->Post("first");
  // Once connected, the worker has taken the first event; it waits for an answer that never
  // comes (timeout 1 s, no retry) while the queue fills.
  ASSERT_TRUE(WaitFor([&] { return server.accepted() == 1; }, std::chrono::seconds(20)));
  for (int i = 0; i < 5; ++i) w->Post("e" + std::to_string(i));
  EXPECT_EQ(m.Get("netsnap_webhook_dropped_total", {{"reason", "queue_full"}}), 3);
  w->Stop();
}

}  // namespace
}  // namespace netsnap
