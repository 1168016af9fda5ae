// Bearer tokens, roles, and the loopback-only rule without tokens.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/auth.h"
#include "api_harness.h"
#include "netsnap/token_hash.h"

namespace netsnap::testing {
namespace {

const char* kTokens =
    "# token role name\n"
    "viewer-token-0123456789 viewer vera\n"
    "\n"
    "operator-token-0123456789 operator olga\n";

class ApiAuth : public ::testing::Test {
 protected:
  ApiHarness h{ApiOptions{}, kTokens};
};

TEST_F(ApiAuth, NoTokenIsRejected) {
  HttpReply r = Http(h.port(), "GET", "/v1/sources");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(r.json().at("error").at("code"), "unauthorized");
  EXPECT_EQ(Http(h.port(), "GET", "/metrics").status, 401);
}

TEST_F(ApiAuth, WrongTokenIsRejected) {
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", "viewer-token-012345678X").status, 401);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", "viewer-token-0123456789-longer").status, 401);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", "v").status, 401);
  std::string raw =
      RawExchange(h.port(),
                  "GET /v1/sources HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic "
                  "dmlld2VyOnRva2Vu\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 401", 0), 0u) << raw;
}

TEST_F(ApiAuth, ViewerReadsButCannotChangeAnything) {
  const std::string v = "viewer-token-0123456789";
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", v).status, 200);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources/main/versions/1", "", v).status, 200);
  HttpReply r =
      Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":1,"dry_run":true})", v);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json().at("error").at("code"), "forbidden");
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/snapshots", "", v).status, 403);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/rollbacks/x/confirm", "", v).status, 403);

  // The refusals are counted, not stored: a viewer cannot fill the disk with them.
  EXPECT_EQ(h.daemon()->metrics()->Get("netsnap_http_refused_total", {{"reason", "forbidden"}}), 3);
  r = Http(h.port(), "GET", "/v1/events?type=audit", "", v);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("events").as_array().size(), 0u) << r.body;
}

TEST_F(ApiAuth, OperatorMayRollBackAndCapture) {
  const std::string o = "operator-token-0123456789";
  EXPECT_EQ(
      Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":1,"dry_run":true})", o).status,
      200);
  h.source()->SetRoutes(TestRoutes(3, "192.0.2.2"));
  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/snapshots", "", o);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.json().at("actor").at("cmdline"), "olga");
}

TEST(ApiAuthStart, NonLoopbackWithoutTokensIsRefused) {
  DaemonConfig config;
  TempDir dir;
  config.data_dir = dir.path();
  Daemon daemon(config);
  ASSERT_TRUE(daemon.Start().ok());
  ApiOptions opts;
  opts.listen = "0.0.0.0:0";
  std::unique_ptr<ApiServer> server;
  Status s = ApiServer::Start(&daemon, opts, &server);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("without a token file"), std::string::npos) << s.ToString();
  opts.listen = "[::]:0";
  EXPECT_FALSE(ApiServer::Start(&daemon, opts, &server).ok());
  opts.listen = "not-an-address:80";
  EXPECT_FALSE(ApiServer::Start(&daemon, opts, &server).ok());
  opts.listen = "127.0.0.1:0";
  ASSERT_TRUE(ApiServer::Start(&daemon, opts, &server).ok());
  EXPECT_NE(server->port(), 0);
}

TEST(ApiAuthTokens, FileErrorsNameTheLineNotTheToken) {
  std::unique_ptr<api::Authenticator> a;
  Status s = api::Authenticator::Parse("secret-secret-secret admin bob\n", "tokens", &a);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tokens:1"), std::string::npos);
  EXPECT_EQ(s.message().find("secret-secret"), std::string::npos);
  EXPECT_FALSE(api::Authenticator::Parse("short viewer bob\n", "t", &a).ok());
  EXPECT_FALSE(api::Authenticator::Parse("only-two-fields-here viewer\n", "t", &a).ok());
  EXPECT_FALSE(api::Authenticator::Parse("# nothing\n", "t", &a).ok());
  ASSERT_TRUE(api::Authenticator::Parse("abcdefghijklmnop operator Jo Smith\n", "t", &a).ok());
  api::Principal p;
  EXPECT_EQ(a->Authenticate("Bearer abcdefghijklmnop", &p), api::AuthResult::kOk);
  EXPECT_EQ(p.name, "Jo Smith");
  EXPECT_EQ(p.role, api::Role::kOperator);
  EXPECT_EQ(a->Authenticate("", &p), api::AuthResult::kMissing);
}

TEST(ApiAuthTokens, DigestsCompareWhole) {
  EXPECT_TRUE(DigestEquals(Sha256("abc"), Sha256("abc")));
  EXPECT_FALSE(DigestEquals(Sha256("abc"), Sha256("abd")));
  EXPECT_FALSE(DigestEquals(Sha256("abc"), Sha256("ab")));
  // The published SHA-256 of "abc" (FIPS 180-2).
  EXPECT_EQ(DigestHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace netsnap::testing
