// The webhook of the real daemon (docs/detection.md, "Webhook"): every event of the source is
// posted as JSON with `Content-Type: application/json`; a failed attempt is retried, the same
// event again, `webhook_retries` times before the next event is taken, and an event that
// exhausts its retries is dropped and counted.
#include <gtest/gtest.h>

// Beast's parser trips a false -Wmaybe-uninitialized in GCC 12 with sanitizers on.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>

#include "harness.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = boost::asio::ip::tcp;

// One request the receiver got, and the status it answered.
struct Received {
  std::string content_type;
  json::value body;
  unsigned status = 0;
};

// A webhook receiver on 127.0.0.1: answers the first `failures` requests 503, the rest 200,
// and keeps every request in arrival order.
class Receiver {
 public:
  explicit Receiver(int failures) : failures_(failures), acceptor_(ioc_, {tcp::v4(), 0}) {
    acceptor_.listen();
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket s(ioc_);  // wakes accept()
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port()}, ec);
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<Received> received() {
    std::lock_guard l(mu_);
    return received_;
  }

 private:
  void Serve() {
    while (!stop_) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) return;
      beast::flat_buffer buf;
      bhttp::request<bhttp::string_body> req;
      // One request per connection: the answer says `Connection: close`.
      bhttp::read(sock, buf, req, ec);
      if (ec) continue;
      Received r;
      r.content_type = std::string(req[bhttp::field::content_type]);
      r.body = json::parse(req.body(), ec);
      {
        std::lock_guard l(mu_);
        r.status = static_cast<int>(received_.size()) < failures_ ? 503 : 200;
        received_.push_back(r);
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
      res.keep_alive(false);
      res.body() = "{}";
      res.prepare_payload();
      bhttp::write(sock, res, ec);
    }
  }

  const int failures_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Received> received_;
  std::thread thread_;
};

int64_t IdOf(const json::value& event) {
  return event.is_object() && event.as_object().contains("id") ? event.at("id").to_number<int64_t>()
                                                               : -1;
}

// A resolver source "r" whose policy posts to the receiver; the events come from pauses.
class E2eWebhook : public ::testing::Test {
 protected:
  void Start(Receiver& rx, int retries) {
    std::string resolv = d.dir().Sub("resolv.conf");
    WriteFile(resolv, "nameserver 192.0.2.53\n");
    d.Configure(ResolverSource("r", "resolv.conf", resolv) +
                "[[policy]]\nsource = \"r\"\nwebhook_url = \"http://127.0.0.1:" +
                std::to_string(rx.port()) + "/hook\"\nwebhook_retries = " +
                std::to_string(retries) + "\nwebhook_timeout_ms = 5000\n");
    ASSERT_TRUE(d.Start());
  }
  // Pauses "r" (a detection_pause event of the source); returns the event's id.
  int64_t Pause(const std::string& reason) {
    HttpReply r =
        d.Post("/v1/sources/r/pause", "{\"duration\":\"1h\",\"reason\":\"" + reason + "\"}");
    EXPECT_EQ(r.status, 200) << r.body;
    json::value ev = d.WaitForEvent(
        "detection_pause", [&](const json::object& e) { return e.at("reason") == reason.c_str(); });
    return IdOf(ev);
  }
  // Every stored event of "r", oldest first.
  json::array SourceEvents() { return d.Events("", "r"); }
  // Waits until the receiver has a delivery (a 200) of every stored event of "r"; returns the
  // ids of all requests in arrival order and, in *stored, the stored events.
  // `except`: an event that is never delivered.
  std::vector<int64_t> WaitForAllDelivered(Receiver& rx, json::array* stored, int64_t except) {
    WaitFor([&] {
      *stored = SourceEvents();
      std::vector<Received> got = rx.received();
      for (const json::value& e : *stored) {
        bool delivered = IdOf(e) == except;
        for (const Received& r : got) delivered |= r.status == 200 && IdOf(r.body) == IdOf(e);
        if (!delivered) return false;
      }
      return true;
    });
    std::vector<int64_t> seen;
    for (const Received& r : rx.received()) seen.push_back(IdOf(r.body));
    return seen;
  }
  double Metric(const std::string& line_prefix) {
    std::string m = d.Get("/metrics").body;
    size_t at = m.find("\n" + line_prefix + " ");
    if (at == std::string::npos) return -1;
    return std::stod(m.substr(at + line_prefix.size() + 2));
  }

  Snapshotd d;
};

TEST_F(E2eWebhook, FailedAttemptsAreRetriedInOrderThenDelivered) {
  Receiver rx(/*failures=*/3);
  Start(rx, /*retries=*/3);
  int64_t pause = Pause("CHG-1");
  ASSERT_GT(pause, 0);
  json::array stored;
  std::vector<int64_t> seen = WaitForAllDelivered(rx, &stored, /*except=*/-1);
  ASSERT_FALSE(stored.empty());
  // The first event of the source three times refused and the fourth attempt delivers it;
  // then every later event once, in order.
  const int64_t head = IdOf(stored.front());
  std::vector<int64_t> want{head, head, head};
  for (const json::value& e : stored) want.push_back(IdOf(e));
  EXPECT_EQ(seen, want);
  std::vector<Received> got = rx.received();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].content_type, "application/json") << i;
    EXPECT_EQ(got[i].status, i < 3 ? 503u : 200u) << i;
    // The body is the event as /v1/events shows it.
    EXPECT_EQ(got[i].body, stored[i < 3 ? 0 : i - 3]) << i;
  }
  bool pause_posted = false;
  for (const Received& r : got) {
    if (IdOf(r.body) != pause) continue;
    pause_posted = true;
    EXPECT_EQ(r.body.at("type"), "detection_pause");
    EXPECT_EQ(r.body.at("source"), "r");
    EXPECT_EQ(r.body.at("reason"), "CHG-1");
  }
  EXPECT_TRUE(pause_posted);
  EXPECT_EQ(Metric("netsnap_webhook_failures_total"), 3);
  EXPECT_EQ(Metric("netsnap_webhook_sent_total"), static_cast<double>(stored.size()));
}

TEST_F(E2eWebhook, AnEventOutOfRetriesIsDroppedAndTheNextIsSent) {
  Receiver rx(/*failures=*/3);
  Start(rx, /*retries=*/2);  // three attempts at the first event: all refused
  ASSERT_GT(Pause("CHG-1"), 0);
  json::array stored = SourceEvents();
  ASSERT_FALSE(stored.empty());
  const int64_t head = IdOf(stored.front());
  std::vector<int64_t> seen = WaitForAllDelivered(rx, &stored, /*except=*/head);
  std::vector<int64_t> want{head, head};
  for (const json::value& e : stored) want.push_back(IdOf(e));
  EXPECT_EQ(seen, want) << "three attempts at the head event, then each later event once";
  std::vector<Received> got = rx.received();
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].status, i < 3 ? 503u : 200u) << i;
    EXPECT_EQ(got[i].content_type, "application/json") << i;
  }
  EXPECT_EQ(Metric("netsnap_webhook_failures_total"), 3);
  EXPECT_EQ(Metric("netsnap_webhook_dropped_total{reason=\"undelivered\"}"), 1);
  EXPECT_EQ(Metric("netsnap_webhook_sent_total"), static_cast<double>(stored.size() - 1));
}

}  // namespace
}  // namespace netsnap::e2e
