// The token file: its permissions (the daemon refuses to start), hashed tokens, tokens made by
// `netsnap token new`, and reloading the set while the server runs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>

#include "api/auth.h"
#include "api_harness.h"
#include "netsnap/token_hash.h"
#include "shell.h"

namespace netsnap::testing {
namespace {

void Write(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

const char* kPlain = "plain-operator-token-0123456789";

TEST(ApiTokens, FileOpenToOthersOrOwnedByAnotherUserIsRefused) {
  TempDir dir;
  std::string file = dir.Sub("tokens");
  std::unique_ptr<api::Authenticator> auth;
  for (mode_t mode : {0644, 0640, 0604, 0620, 0602, 0610}) {
    Write(file, std::string(kPlain) + " operator op\n", mode);
    Status s = api::Authenticator::Load(file, &auth);
    EXPECT_EQ(s.code(), Status::Code::kRefused) << std::oct << mode;
    EXPECT_NE(s.message().find("chmod 600"), std::string::npos) << s.ToString();
  }
  Write(file, std::string(kPlain) + " operator op\n", 0600);
  ASSERT_TRUE(api::Authenticator::Load(file, &auth).ok());
  ASSERT_EQ(chown(file.c_str(), 65534, 65534), 0);
  Status s = api::Authenticator::Load(file, &auth);
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("chown"), std::string::npos) << s.ToString();
}

TEST(ApiTokens, TheDaemonRefusesToStartWithAnOpenTokenFile) {
  const char* snapshotd = std::getenv("NETSNAP_SNAPSHOTD");
  if (!snapshotd) GTEST_SKIP() << "NETSNAP_SNAPSHOTD is not set";
  TempDir dir;
  Write(dir.Sub("tokens"), std::string(kPlain) + " operator op\n", 0644);
  std::ofstream(dir.Sub("netsnap.toml"))
      << "[daemon]\ndata_dir = \"" << dir.Sub("data") << "\"\nlisten = \"127.0.0.1:0\"\n"
      << "socket = \"\"\ntoken_file = \"" << dir.Sub("tokens") << "\"\n";
  std::string out;
  int rc = ShellCombined(std::string(snapshotd) + " --config " + dir.Sub("netsnap.toml"), &out);
  // An invalid configuration (exit 2), found before anything is created (the store's modes are
  // checked by E2eDaemon.HistorySurvivesKillNineAndRestart).
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("chmod 600"), std::string::npos) << out;
  struct stat st;
  EXPECT_NE(stat(dir.Sub("data").c_str(), &st), 0) << "the refused start made its data dir";
}

TEST(ApiTokens, HashedTokensAreAccepted) {
  std::string hashed = "hashed-operator-token-0123456789";
  ApiHarness h(ApiOptions{}, "sha256:" + DigestHex(Sha256(hashed)) + " operator hana\n" +
                                 "# a plain one beside it\n" + kPlain + " viewer vic\n");
  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/snapshots", "", hashed);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/snapshots", "", kPlain).status, 403);
  // The hash itself is not a token.
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", DigestHex(Sha256(hashed))).status, 401);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", "sha256:" + DigestHex(Sha256(hashed))).status,
            401);

  std::unique_ptr<api::Authenticator> a;
  EXPECT_FALSE(api::Authenticator::Parse("sha256:abc operator x\n", "t", &a).ok());
  EXPECT_FALSE(
      api::Authenticator::Parse("sha256:" + std::string(64, 'g') + " operator x\n", "t", &a).ok());
  EXPECT_TRUE(
      api::Authenticator::Parse("sha256:" + std::string(64, 'A') + " operator x\n", "t", &a).ok());
}

TEST(ApiTokens, TokenNewOutputIsUsable) {
  const char* cli = std::getenv("NETSNAP_CLI");
  if (!cli) GTEST_SKIP() << "NETSNAP_CLI is not set";
  std::string out;
  ASSERT_EQ(ShellCombined(std::string(cli) + " token new operator 'Ann Admin' 2>/dev/null", &out),
            0)
      << out;
  std::string token, line;
  std::istringstream lines(out);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("token: ", 0) == 0) token = l.substr(7);
    if (l.rfind("token file line: ", 0) == 0) line = l.substr(17);
  }
  ASSERT_GE(token.size(), 32u) << out;
  ASSERT_EQ(line.rfind("sha256:", 0), 0u) << out;
  EXPECT_EQ(line.find(token), std::string::npos) << "the line must not hold the token";
  ApiHarness h(ApiOptions{}, line + "\n");
  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/snapshots", "", token);
  EXPECT_EQ(r.status, 200) << r.body;
  r = Http(h.port(), "GET", "/v1/events?type=audit", "", token);
  EXPECT_EQ(r.json().at("events").at(0).at("who"), "Ann Admin") << r.body;
  // Two runs give two tokens.
  std::string again;
  ASSERT_EQ(ShellCombined(std::string(cli) + " token new viewer v 2>/dev/null", &again), 0);
  EXPECT_EQ(again.find(token), std::string::npos);
  EXPECT_EQ(ShellCombined(std::string(cli) + " token new admin x", &again), 2) << again;
}

TEST(ApiTokens, ReloadSwapsTheSetAndKeepsItOnError) {
  const std::string old_token = "old-operator-token-0123456789";
  const std::string new_token = "new-operator-token-0123456789";
  ApiHarness h(ApiOptions{}, old_token + " operator old\n");
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", old_token).status, 200);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", new_token).status, 401);

  Write(h.token_file(), "sha256:" + DigestHex(Sha256(new_token)) + " operator new\n", 0600);
  ASSERT_TRUE(h.server()->ReloadTokens().ok());
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", new_token).status, 200);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", old_token).status, 401);

  // A bad file (a syntax error; then open to others) leaves the set in use alone.
  Write(h.token_file(), "short operator x\n", 0600);
  EXPECT_FALSE(h.server()->ReloadTokens().ok());
  Write(h.token_file(), old_token + " operator old\n", 0644);
  Status s = h.server()->ReloadTokens();
  EXPECT_EQ(s.code(), Status::Code::kRefused) << s.ToString();
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", new_token).status, 200);
  EXPECT_EQ(Http(h.port(), "GET", "/v1/sources", "", old_token).status, 401);
}

}  // namespace
}  // namespace netsnap::testing
