// Rollback and policy calls that must not be turned against the host: an Idempotency-Key reused
// with another request or by another caller, confirm and cancel after the other won, and the
// webhook of the configuration file, which the API may neither change nor show to viewers.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api_harness.h"

namespace netsnap::testing {
namespace {

const char* kTokens =
    "viewer-token-0123456789 viewer vera\n"
    "operator-token-0123456789 operator olga\n"
    "operator-token-9876543210 operator otto\n";
const char* kVera = "viewer-token-0123456789";
const char* kOlga = "operator-token-0123456789";
const char* kOtto = "operator-token-9876543210";

// POST with an Idempotency-Key; the status and the body.
HttpReply PostWithKey(uint16_t port, const std::string& target, const std::string& body,
                      const std::string& token, const std::string& key) {
  std::string raw =
      RawExchange(port,
                  "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                      token + "\r\nContent-Type: application/json\r\nIdempotency-Key: " + key +
                      "\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body,
                  10'000);
  HttpReply r;
  if (raw.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(raw.substr(9, 3));
  size_t end = raw.find("\r\n\r\n");
  if (end != std::string::npos) r.body = raw.substr(end + 4);
  return r;
}

size_t LiveRecords(ApiHarness& h) {
  Snapshot s;
  EXPECT_TRUE(h.source()->ReadLive(&s).ok());
  return s.size();
}

class RollbackTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = h_.Capture(TestRoutes(10, "192.0.2.1"));
    h_.Capture(TestRoutes(8, "192.0.2.1"));
  }
  std::string To() const { return "\"to\":\"" + std::to_string(good_) + "\""; }

  ApiHarness h_{ApiOptions{}, kTokens};
  uint64_t good_ = 0;
};

TEST_F(RollbackTrust, AnIdempotencyKeyIsBoundToItsRequestAndItsCaller) {
  const std::string path = "/v1/sources/main/rollbacks";
  HttpReply a = PostWithKey(h_.port(), path, "{" + To() + ",\"dry_run\":true}", kOlga, "k1");
  ASSERT_EQ(a.status, 200) << a.body;
  std::string id(a.json().at("id").as_string());
  EXPECT_EQ(a.json().at("state"), "planned");
  // The same request written another way: the same rollback.
  HttpReply again =
      PostWithKey(h_.port(), path, "{ \"dry_run\": true, " + To() + " }", kOlga, "k1");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("id").as_string(), id);
  // Another request under the key (the real rollback after the dry run): 422, nothing runs.
  HttpReply real = PostWithKey(h_.port(), path, "{" + To() + "}", kOlga, "k1");
  EXPECT_EQ(real.status, 422) << real.body;
  EXPECT_EQ(real.json().at("error").at("code"), "idempotency_mismatch");
  EXPECT_EQ(LiveRecords(h_), 8u);
  // Another operator's "k1" is another key: a new rollback.
  HttpReply otto = PostWithKey(h_.port(), path, "{" + To() + ",\"dry_run\":true}", kOtto, "k1");
  ASSERT_EQ(otto.status, 200) << otto.body;
  EXPECT_NE(otto.json().at("id").as_string(), id);
}

TEST_F(RollbackTrust, ConfirmAndCancelAfterTheOtherWonAre409WithTheState) {
  auto start = [&] {
    HttpReply r = Http(h_.port(), "POST", "/v1/sources/main/rollbacks",
                       "{" + To() + ",\"confirm_within_s\":600}", kOlga);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("state"), "awaiting_confirmation");
    return "/v1/rollbacks/" + std::string(r.json().at("id").as_string());
  };
  std::string rb = start();
  HttpReply r = Http(h_.port(), "POST", rb + "/cancel", "", kOlga);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("state"), "reverted");
  for (const char* verb : {"/confirm", "/cancel"}) {
    r = Http(h_.port(), "POST", rb + verb, "", kOtto);
    EXPECT_EQ(r.status, 409) << verb << " " << r.body;
    EXPECT_EQ(r.json().at("error").at("code"), "conflict");
    EXPECT_EQ(r.json().at("error").at("state"), "reverted") << r.body;
  }

  rb = start();
  r = Http(h_.port(), "POST", rb + "/confirm", "", kOlga);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Http(h_.port(), "POST", rb + "/cancel", "", kOtto);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json().at("error").at("state"), "confirmed") << r.body;
  EXPECT_EQ(LiveRecords(h_), 10u);
}

TEST(PolicyTrust, TheWebhookComesFromTheConfigurationAndViewersDoNotSeeIt) {
  ApiHarness h{ApiOptions{}, kTokens,
               "[[policy]]\nwebhook_url = \"http://127.0.0.1:9/hook?token=s3cret\"\n"};
  const std::string path = "/v1/sources/main/policy";
  HttpReply viewer = Http(h.port(), "GET", path, "", kVera);
  ASSERT_EQ(viewer.status, 200) << viewer.body;
  EXPECT_FALSE(viewer.json().as_object().contains("webhook_url"));
  EXPECT_EQ(viewer.json().at("webhook"), "configured");
  EXPECT_EQ(viewer.body.find("s3cret"), std::string::npos);
  HttpReply op = Http(h.port(), "GET", path, "", kOlga);
  ASSERT_EQ(op.status, 200) << op.body;
  EXPECT_EQ(op.json().at("webhook_url"), "http://127.0.0.1:9/hook?token=s3cret");

  HttpReply r = Http(h.port(), "PUT", path, R"({"webhook_url":"http://192.0.2.1/x"})", kOlga);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.json().at("error").at("message").as_string().find("'webhook_url'"), std::string::npos)
      << r.body;
  r = Http(h.port(), "PUT", path, R"({"action":"restore"})", kOlga);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("webhook_url"), "http://127.0.0.1:9/hook?token=s3cret");
  // What an operator read can be put back.
  r = Http(h.port(), "PUT", path, op.body, kOlga);
  EXPECT_EQ(r.status, 200) << r.body;
  // The detection_policy events those PUTs made do not carry the URL either.
  HttpReply events = Http(h.port(), "GET", "/v1/events?type=detection_policy", "", kVera);
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_NE(events.body.find("detection_policy"), std::string::npos) << events.body;
  EXPECT_EQ(events.body.find("s3cret"), std::string::npos) << events.body;
}

}  // namespace
}  // namespace netsnap::testing
