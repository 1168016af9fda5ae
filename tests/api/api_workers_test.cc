// The worker pool and large answers: a version's records paged with limit and cursor, the whole
// version streamed in pieces, equal to its pages and timed to its last byte, a full pool
// answering 503, and an event follower's backlog read on a worker in batches.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "api/chunked_body.h"
#include "api_harness.h"
#include "store/rocks_store.h"

namespace netsnap::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr size_t kRoutes = 3000;  // about 450 KB of JSON: several pieces

// A connection read by hand, with a small receive buffer: while the test does not read, the
// server's writes stall after a few KiB.
class SlowClient {
 public:
  SlowClient(uint16_t port, const std::string& request) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
          send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(request.size());
  }
  ~SlowClient() { close(fd_); }

  // Reads until `text` has arrived (true), the server closes or 60 s pass.
  bool ReadUntil(std::string_view text) {
    for (auto end = std::chrono::steady_clock::now() + 60s;
         ok_ && got_.find(text) == std::string::npos && std::chrono::steady_clock::now() < end;) {
      ReadSome();
    }
    return got_.find(text) != std::string::npos;
  }
  // Reads until the server closes (true) or 60 s pass.
  bool ReadToEnd() {
    for (auto end = std::chrono::steady_clock::now() + 60s;
         ok_ && std::chrono::steady_clock::now() < end;) {
      ReadSome();
    }
    return closed_;
  }
  const std::string& got() const { return got_; }

 private:
  void ReadSome() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) return;
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      ok_ = false;
      closed_ = n == 0;
      return;
    }
    got_.append(buf, static_cast<size_t>(n));
  }

  int fd_ = -1;
  bool ok_ = false;
  bool closed_ = false;
  std::string got_;
};

class ApiRecordPages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    h_ = new ApiHarness();
    version_ = h_->Capture(TestRoutes(kRoutes, "192.0.2.1"));
  }
  static void TearDownTestSuite() { delete h_; }

  static std::string Target(const std::string& query = "") {
    return "/v1/sources/main/versions/" + std::to_string(version_) + query;
  }

  // Follows next_cursor from the first page of `limit` records; returns the records in order.
  static json::array Walk(size_t limit, int* pages) {
    json::array all;
    std::string query = "?limit=" + std::to_string(limit);
    for (*pages = 0; *pages < 10000; ++*pages) {
      HttpReply r = Http(h_->port(), "GET", Target(query));
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      json::object page = r.json().as_object();
      const json::array& records = page.at("records").as_array();
      EXPECT_LE(records.size(), limit);
      all.insert(all.end(), records.begin(), records.end());
      if (page.at("next_cursor").is_null()) {
        ++*pages;
        break;
      }
      query = "?limit=" + std::to_string(limit) +
              "&cursor=" + std::string(page.at("next_cursor").as_string());
    }
    return all;
  }

  static ApiHarness* h_;
  static uint64_t version_;
};
ApiHarness* ApiRecordPages::h_ = nullptr;
uint64_t ApiRecordPages::version_ = 0;

TEST_F(ApiRecordPages, AWholeVersionIsStreamedInChunks) {
  HttpReply r = Http(h_->port(), "GET", Target());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  EXPECT_GT(r.body.size(), 2 * api::ChunkedBody::kPieceBytes);
  json::object v = r.json().as_object();
  EXPECT_EQ(v.at("version").to_number<uint64_t>(), version_);
  EXPECT_EQ(v.at("records").as_array().size(), kRoutes);
  EXPECT_TRUE(v.at("next_cursor").is_null());
}

TEST_F(ApiRecordPages, PagesGiveEveryRecordOnceInOrderAndEqualTheStreamedVersion) {
  json::value whole = Http(h_->port(), "GET", Target()).json();
  const json::array& expected = whole.at("records").as_array();
  for (size_t limit : {1000u, 299u}) {
    int pages = 0;
    json::array paged = Walk(limit, &pages);
    EXPECT_EQ(pages, static_cast<int>((kRoutes + limit - 1) / limit)) << limit;
    EXPECT_EQ(paged, expected) << "limit " << limit;
    std::set<std::string> distinct;
    for (const json::value& rec : paged) distinct.insert(json::serialize(rec));
    EXPECT_EQ(distinct.size(), kRoutes);
  }
  // Key order: the destinations of TestRoutes ascend with the key.
  EXPECT_EQ(expected.front().at("dst"), "10.0.0.0/24");
}

// How many calls of the version route netsnap_http_request_duration_seconds has observed.
double VersionDurations(uint16_t port) {
  const std::string line =
      "netsnap_http_request_duration_seconds_count{route=\"/v1/sources/{name}/versions/"
      "{version}\"} ";
  std::string body = Http(port, "GET", "/metrics").body;
  size_t at = body.find(line);
  return at == std::string::npos ? 0 : std::stod(body.substr(at + line.size()));
}

TEST_F(ApiRecordPages, AStreamedVersionIsTimedUntilItsLastByte) {
  double before = VersionDurations(h_->port());
  SlowClient client(
      h_->port(), "GET " + Target() + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(client.ReadUntil("\r\n\r\n"));  // the header: the handler has returned
  // Most of the body cannot have left the server while the client does not read.
  EXPECT_EQ(VersionDurations(h_->port()), before);
  ASSERT_TRUE(client.ReadToEnd());
  EXPECT_NE(client.got().find("\r\n0\r\n\r\n"), std::string::npos);  // the last chunk
  // Observed when the server's last write completes, which the client may see first.
  for (int i = 0; i < 3000 && VersionDurations(h_->port()) == before; ++i) {
    std::this_thread::sleep_for(10ms);  // polling for the event, bounded
  }
  EXPECT_EQ(VersionDurations(h_->port()), before + 1);
}

TEST_F(ApiRecordPages, TextPagesCarryTheCursorInAHeader) {
  HttpReply whole = Http(h_->port(), "GET", Target("?format=text"));
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.headers.count("next-cursor"), 0u);
  std::string lines = whole.body.substr(whole.body.find('\n') + 1);
  std::string paged;
  std::string query = "?format=text&limit=700";
  for (int i = 0; i < 100; ++i) {
    HttpReply r = Http(h_->port(), "GET", Target(query));
    ASSERT_EQ(r.status, 200) << r.body;
    paged += r.body.substr(r.body.find('\n') + 1);
    auto next = r.headers.find("next-cursor");
    if (next == r.headers.end()) break;
    query = "?format=text&limit=700&cursor=" + next->second;
  }
  EXPECT_EQ(paged, lines);
}

TEST_F(ApiRecordPages, BadLimitOrCursorIs400NamingIt) {
  for (const char* q : {"?limit=0", "?limit=ten", "?limit=-1"}) {
    HttpReply r = Http(h_->port(), "GET", Target(q));
    EXPECT_EQ(r.status, 400) << q;
    EXPECT_NE(r.body.find("limit"), std::string::npos) << r.body;
  }
  for (const char* q : {"?cursor=", "?cursor=zz", "?cursor=abc", "?limit=5&cursor=%01"}) {
    HttpReply r = Http(h_->port(), "GET", Target(q));
    EXPECT_EQ(r.status, 400) << q;
    EXPECT_NE(r.body.find("\"message\":\"cursor"), std::string::npos) << r.body;
  }
}

TEST(ApiChunkedBody, PiecesAreBoundedAndMakeTheWholeBody) {
  api::ChunkedBody body;
  body.Text("[");
  body.Items(
      20000, [](size_t i, std::string* out) { out->append(std::to_string(i)); }, ",");
  body.Text("]");
  api::ChunkedBody same = body;
  std::string all = same.All();
  std::string joined, piece;
  int pieces = 0;
  while (body.Next(&piece)) {
    EXPECT_LE(piece.size(), api::ChunkedBody::kPieceBytes + 8);
    joined += piece;
    piece.clear();
    ++pieces;
  }
  EXPECT_EQ(joined, all);
  EXPECT_GT(pieces, 1);
  EXPECT_EQ(all.substr(0, 5), "[0,1,");
  EXPECT_EQ(all.substr(all.size() - 7), ",19999]");
}

// Lets reads go on however the test ends: a worker left waiting would hold the server's stop.
struct Unblock {
  MemorySource* source;
  ~Unblock() { source->UnblockReads(); }
};

TEST(ApiWorkers, AFullPoolAnswers503BusyWhileInlineCallsStillAnswer) {
  ApiOptions o = LabOptions();
  o.workers = 1;
  o.worker_queue = 1;
  ApiHarness h(o);
  h.Capture(TestRoutes(10, "192.0.2.1"));
  const std::string diff = "/v1/sources/main/diff?from=latest&to=live";
  h.source()->BlockReads();
  Unblock unblock{h.source()};
  auto call = [&] { return Http(h.port(), "GET", diff); };

  // The only worker waits in ReadLive; of two more calls one waits in the queue and the other
  // is refused at once.
  auto running = std::async(std::launch::async, call);
  for (int i = 0; i < 3000 && h.source()->blocked_reads() == 0; ++i) {
    std::this_thread::sleep_for(10ms);  // polling for the event, bounded
  }
  ASSERT_EQ(h.source()->blocked_reads(), 1u);
  auto a = std::async(std::launch::async, call);
  auto b = std::async(std::launch::async, call);
  std::future<HttpReply>* refused = nullptr;
  std::future<HttpReply>* queued = nullptr;
  for (int i = 0; i < 3000 && !refused; ++i) {
    if (a.wait_for(10ms) == std::future_status::ready) refused = &a, queued = &b;
    if (!refused && b.wait_for(0ms) == std::future_status::ready) refused = &b, queued = &a;
  }
  ASSERT_TRUE(refused);
  HttpReply busy = refused->get();
  EXPECT_EQ(busy.status, 503) << busy.body;
  EXPECT_EQ(busy.headers["retry-after"], "1");
  EXPECT_EQ(busy.json().at("error").at("code"), "busy") << busy.body;
  EXPECT_EQ(h.daemon()->metrics()->Get("netsnap_api_worker_rejections_total",
                                       {{"route", "/v1/sources/{name}/diff"}}),
            1);
  // Inline calls do not need a worker.
  EXPECT_EQ(Http(h.port(), "GET", "/v1/health").status, 200);
  HttpReply metrics = Http(h.port(), "GET", "/metrics");
  EXPECT_NE(
      metrics.body.find("netsnap_api_worker_rejections_total{route=\"/v1/sources/{name}/diff\"} 1"),
      std::string::npos);
  EXPECT_EQ(h.source()->blocked_reads(), 1u);

  h.source()->UnblockReads();
  EXPECT_EQ(running.get().status, 200);
  EXPECT_EQ(queued->get().status, 200);
}

// A real store whose event reads, once armed, wait until the test releases them: it holds a
// follower's backlog read in the middle.
class GatedStore : public store::RocksStore {
 public:
  using RocksStore::RocksStore;

  Status ListEvents(uint64_t after_id, int64_t since_ns, size_t limit,
                    std::vector<StoredEvent>* out) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return !armed_; });
      --waiting_;
    }
    return RocksStore::ListEvents(after_id, since_ns, limit, out);
  }
  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = false;
    cv_.notify_all();
  }
  // Waits (at most 60 s) until a read waits at the gate.
  bool WaitForReader() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 60s, [this] { return waiting_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  int waiting_ = 0;
};

// Lets event reads go on however the test ends: a read left waiting would hold the server's
// stop.
struct Release {
  GatedStore* store;
  ~Release() { store->Release(); }
};

TEST(ApiWorkers, AFollowersBacklogIsReadOnAWorkerInBatchesWhileHealthAnswers) {
  TempDir dir;
  StoreOptions so;
  so.path = dir.Sub("store");
  GatedStore store(so);
  ASSERT_TRUE(store.OpenDb().ok());
  EventBus bus(&store);
  Metrics metrics;
  api::ApiContext ctx;
  ctx.store = &store;
  ctx.events = &bus;
  ctx.metrics = &metrics;
  ApiOptions o = LabOptions();
  o.listen = "127.0.0.1:0";
  o.threads = 1;  // a backlog read on the I/O thread would hold every other call
  std::unique_ptr<ApiServer> server;
  ASSERT_TRUE(ApiServer::Start(ctx, o, &server).ok());
  std::vector<uint64_t> stored;  // ids grow, but not by one
  for (int i = 0; i < 700; ++i) stored.push_back(bus.Publish("test", "", {{"n", i}}).id);

  store.Arm();
  Release release{&store};
  SlowClient follower(server->port(), "GET /v1/events?follow=1&after=" + std::to_string(stored[0]) +
                                          " HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ASSERT_TRUE(store.WaitForReader());
  EXPECT_EQ(Http(server->port(), "GET", "/v1/health").status, 200);
  store.Release();

  // Every stored event after the first, once and in order (several store reads of 256), then a
  // live one.
  ASSERT_TRUE(follower.ReadUntil("id: " + std::to_string(stored.back()) + "\n")) << follower.got();
  stored.push_back(bus.Publish("test", "", {{"n", 700}}).id);
  ASSERT_TRUE(follower.ReadUntil("id: " + std::to_string(stored.back()) + "\n"));
  std::vector<uint64_t> sent;
  for (size_t at = follower.got().find("\nid: "); at != std::string::npos;
       at = follower.got().find("\nid: ", at + 1)) {
    sent.push_back(std::stoull(follower.got().substr(at + 5)));
  }
  EXPECT_EQ(sent, std::vector<uint64_t>(stored.begin() + 1, stored.end()));
  server->Stop();
}

}  // namespace
}  // namespace netsnap::testing
