// The webhook against a small HTTP server in the test: delivery, retries after failures, and
// the bounded queue dropping the oldest events.
#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/clock.h"
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

// The retry schedule, measured on an injected clock against a real receiver that always
// fails: the delays between attempts are those docs/detection.md gives (200 ms doubling, at
// most 10 s), the webhook waits on the clock it was given (so the test advances time instead
// of sleeping), woken early it does not send early, and a wall-clock step does not move a
// retry. Every attempt says Content-Type: application/json.
TEST(Webhook, RetryScheduleOnTheInjectedClock) {
  TestClock clock(1'700'000'000LL * 1000000000);
  std::mutex mu;
  std::vector<int64_t> at;  // the injected monotonic clock at each attempt
  std::vector<std::string> types;
  TestServer server({500}, false, [&](const testing::http::request<testing::http::string_body>& r) {
    std::lock_guard l(mu);
    at.push_back(clock.MonotonicNs());
    types.emplace_back(r[testing::http::field::content_type]);
  });
  auto attempts = [&] {
    std::lock_guard l(mu);
    return at.size();
  };
  Metrics m;
  WebhookOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/hook";
  o.retries = 7;
  const std::vector<int64_t> delays_ms = {200, 400, 800, 1600, 3200, 6400, 10'000};
  std::unique_ptr<Webhook> w;
  ASSERT_TRUE(Webhook::Create(o, &m, &w, &clock).ok());
  uint64_t waits = clock.waits();
  w->Post(R"({"type":"detection"})");
  for (size_t i = 0; i < delays_ms.size(); ++i) {
    ASSERT_TRUE(WaitFor([&] { return attempts() == i + 1; }, std::chrono::seconds(20)));
    ASSERT_TRUE(clock.AwaitWaits(++waits, std::chrono::seconds(20)))
        << "attempt " << i + 1 << " failed: the webhook waits on the injected clock";
    const int64_t due = clock.NextDeadline();
    int64_t attempted = 0;
    {
      std::lock_guard l(mu);
      attempted = at[i];
    }
    EXPECT_EQ(due - attempted, delays_ms[i] * 1000000) << "after attempt " << i + 1;
    clock.StepWall(3600LL * 1000000000);
    clock.Advance(due - clock.MonotonicNs() - 1);
    ASSERT_TRUE(clock.AwaitWaits(++waits, std::chrono::seconds(20)))
        << "woken 1 ns early, it waits again";
    EXPECT_EQ(attempts(), i + 1) << "no attempt before the delay is over";
    clock.Advance(1);
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        return m.Get("netsnap_webhook_dropped_total", {{"reason", "undelivered"}}) == 1;
      },
      std::chrono::seconds(20)));
  std::lock_guard l(mu);
  ASSERT_EQ(at.size(), delays_ms.size() + 1);
  for (size_t i = 0; i < delays_ms.size(); ++i) {
    EXPECT_EQ(at[i + 1] - at[i], delays_ms[i] * 1000000)
        << "between attempts " << i + 1 << " and " << i + 2;
  }
  for (const std::string& t : types) EXPECT_EQ(t, "application/json");
  EXPECT_EQ(m.Get("netsnap_webhook_failures_total"), 8);
  w->Stop();
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

// Threads of this process now.
size_t Tasks() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/task");
  while (dirent* e = d ? readdir(d) : nullptr) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}

TEST(WebhookSet, AWorkerEndsWhenNoSourceUsesItsUrl) {
  TestServer one({200}), two({200});
  Metrics m;
  WebhookSet set(&m);
  std::string url1 = "http://127.0.0.1:" + std::to_string(one.port()) + "/a";
  std::string url2 = "http://127.0.0.1:" + std::to_string(two.port()) + "/b";
  size_t base = Tasks();
  ASSERT_TRUE(set.Use("a", {.url = url1}).ok());
  ASSERT_TRUE(set.Use("b", {.url = url1}).ok());
  EXPECT_EQ(set.workers(), 1u);
  EXPECT_EQ(Tasks(), base + 1);
  ASSERT_TRUE(set.Use("a", {.url = url2}).ok());
  EXPECT_EQ(set.workers(), 2u);
  EXPECT_EQ(Tasks(), base + 2);
  set.Post("b", R"({"to":"one"})");
  set.Post("a", R"({"to":"two"})");
  set.Post("c", R"({"to":"nobody"})");
  ASSERT_TRUE(WaitFor([&] { return one.bodies().size() == 1 && two.bodies().size() == 1; },
                      std::chrono::seconds(20)));
  EXPECT_EQ(one.bodies()[0], R"({"to":"one"})");
  EXPECT_EQ(two.bodies()[0], R"({"to":"two"})");
  // b leaves url1: nobody uses it, and its thread is gone when Use returns.
  ASSERT_TRUE(set.Use("b", {}).ok());
  EXPECT_EQ(set.workers(), 1u);
  EXPECT_EQ(Tasks(), base + 1);
  // Many changes of URL never leave more than one worker per URL in use.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(set.Use("a", {.url = i % 2 ? url1 : url2}).ok());
  }
  EXPECT_EQ(set.workers(), 1u);
  EXPECT_EQ(Tasks(), base + 1);
  set.StopAll();
  EXPECT_EQ(set.workers(), 0u);
  EXPECT_EQ(Tasks(), base);
  EXPECT_FALSE(set.Use("a", {.url = "ftp://x/"}).ok());
}

}  // namespace
}  // namespace netsnap
