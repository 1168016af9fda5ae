// The worker pool and large answers: a version's records paged with limit and cursor, the whole
// version streamed in pieces and equal to its pages, and a full pool answering 503.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "api/chunked_body.h"
#include "api_harness.h"

namespace netsnap::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr size_t kRoutes = 3000;  // about 450 KB of JSON: several pieces

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

}  // namespace
}  // namespace netsnap::testing
