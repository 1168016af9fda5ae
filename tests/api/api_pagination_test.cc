// Paging through thousands of versions, and the time forms every time parameter accepts.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "api_harness.h"
#include "netsnap/time.h"

namespace netsnap::testing {
namespace {

namespace json = boost::json;

constexpr int64_t kSecond = 1000000000;
// 2026-01-01T00:00:00Z
constexpr int64_t kBase = 1767225600LL * kSecond;
constexpr uint64_t kVersions = 3000;

// A store with kVersions versions of "hist", one a second from kBase.
class ApiPagination : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    h_ = new ApiHarness();
    for (uint64_t i = 0; i < kVersions; ++i) {
      Route r = TestRoute("10.0.0.0/8", "192.0.2.1");
      r.metric = static_cast<uint32_t>(i);  // metric is part of the key: a new record each time
      CommitInfo info;
      info.time_ns = kBase + static_cast<int64_t>(i) * kSecond;
      info.cause = Cause::kPeriodic;
      VersionHeader out;
      ASSERT_TRUE(h_->store()->Commit("hist", SnapshotOf({r}), nullptr, info, &out).ok());
    }
  }
  static void TearDownTestSuite() { delete h_; }

  // Follows next_cursor from `first` to the end; returns every version number seen.
  std::vector<uint64_t> Walk(const std::string& first, int* pages) {
    std::vector<uint64_t> seen;
    std::string target = first;
    *pages = 0;
    for (;;) {
      HttpReply r = Http(h_->port(), "GET", target);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      ++*pages;
      json::value v = r.json();
      for (const json::value& e : v.at("versions").as_array()) {
        seen.push_back(e.at("version").to_number<uint64_t>());
      }
      if (v.at("next_cursor").is_null()) break;
      target = first + (first.find('?') == std::string::npos ? "?" : "&") +
               "cursor=" + std::string(v.at("next_cursor").as_string());
    }
    return seen;
  }

  static ApiHarness* h_;
};
ApiHarness* ApiPagination::h_ = nullptr;

TEST_F(ApiPagination, NewestFirstCoversEveryVersionOnce) {
  int pages = 0;
  std::vector<uint64_t> seen = Walk("/v1/sources/hist/versions?limit=1000", &pages);
  ASSERT_EQ(seen.size(), kVersions);
  EXPECT_EQ(pages, 3);
  for (uint64_t i = 0; i < kVersions; ++i) EXPECT_EQ(seen[i], kVersions - i);
}

TEST_F(ApiPagination, OldestFirstWithDefaultPage) {
  int pages = 0;
  std::vector<uint64_t> seen = Walk("/v1/sources/hist/versions?order=asc", &pages);
  ASSERT_EQ(seen.size(), kVersions);
  EXPECT_EQ(pages, static_cast<int>(kVersions / 50));
  for (uint64_t i = 0; i < kVersions; ++i) EXPECT_EQ(seen[i], i + 1);
}

TEST_F(ApiPagination, SinceUntilWindowIsInclusive) {
  // Versions 101..200 have times kBase+100s .. kBase+199s.
  std::string since = FormatTime(kBase + 100 * kSecond);
  std::string until = FormatTime(kBase + 199 * kSecond);
  int pages = 0;
  std::vector<uint64_t> seen = Walk(
      "/v1/sources/hist/versions?limit=30&order=asc&since=" + since + "&until=" + until, &pages);
  ASSERT_EQ(seen.size(), 100u);
  EXPECT_EQ(seen.front(), 101u);
  EXPECT_EQ(seen.back(), 200u);
}

TEST_F(ApiPagination, LimitIsCappedAndValidated) {
  HttpReply r = Http(h_->port(), "GET", "/v1/sources/hist/versions?limit=5000");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("versions").as_array().size(), 1000u);
  for (const char* bad : {"0", "-1", "ten", "1e3", ""}) {
    EXPECT_EQ(Http(h_->port(), "GET", std::string("/v1/sources/hist/versions?limit=") + bad).status,
              400)
        << bad;
  }
  EXPECT_EQ(Http(h_->port(), "GET", "/v1/sources/hist/versions?order=sideways").status, 400);
}

// The version in force at `time` (URL-encoded by the caller).
uint64_t At(ApiHarness* h, const std::string& time, int* status) {
  HttpReply r = Http(h->port(), "GET", "/v1/sources/hist/at/" + time);
  *status = r.status;
  return r.status == 200 ? r.json().at("version").to_number<uint64_t>() : 0;
}

TEST_F(ApiPagination, TimeForms) {
  int status = 0;
  // Exactly on version 11's time, a nanosecond before it, and between two versions.
  EXPECT_EQ(At(h_, "2026-01-01T00:00:10Z", &status), 11u);
  EXPECT_EQ(At(h_, "2026-01-01T00:00:09.999999999Z", &status), 10u);
  EXPECT_EQ(At(h_, "2026-01-01T00:00:10.5Z", &status), 11u);
  // Offsets: 01:00:10+01:00 is 00:00:10Z ('+' must be percent-encoded in a URL).
  EXPECT_EQ(At(h_, "2026-01-01T01:00:10%2B01:00", &status), 11u);
  // Unix seconds, with a fraction.
  EXPECT_EQ(At(h_, std::to_string(kBase / kSecond + 20), &status), 21u);
  EXPECT_EQ(At(h_, std::to_string(kBase / kSecond + 20) + ".75", &status), 21u);
  // Before the first version.
  At(h_, "2025-12-31T23:59:59Z", &status);
  EXPECT_EQ(status, 404);
  // Relative and "now": everything here is in the past.
  EXPECT_EQ(At(h_, "-1s", &status), kVersions);
  EXPECT_EQ(At(h_, "now", &status), kVersions);
  for (const char* bad : {"2026-13-01T00:00:00Z", "2026-01-01", "-15x", "soon", "%00"}) {
    At(h_, bad, &status);
    EXPECT_EQ(status, 400) << bad;
  }
  // The same forms in query parameters.
  HttpReply r = Http(h_->port(), "GET", "/v1/sources/hist/versions?since=-1d&limit=1");
  EXPECT_EQ(r.status, 200);
  r = Http(h_->port(), "GET", "/v1/sources/hist/versions?since=1767225600.5&order=asc&limit=1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("versions").at(0).at("version"), 2);
  r = Http(h_->port(), "GET", "/v1/sources/hist/versions?until=nope");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.json().at("error").at("message").as_string().find("until"), json::string::npos);
}

TEST_F(ApiPagination, TimesAreRfc3339WithNanoseconds) {
  HttpReply r = Http(h_->port(), "GET", "/v1/sources/hist/versions/1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("time"), "2026-01-01T00:00:00.000000000Z");
}

}  // namespace
}  // namespace netsnap::testing
