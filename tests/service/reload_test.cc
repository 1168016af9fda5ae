// SIGHUP reload with the real snapshotd: a rotated token, a changed policy, a bad file (the old
// configuration stays and /v1/health shows why), a kernel source added in a namespace the test
// creates (it captures) and removed again (it stops).
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>

#include "netns.h"
#include "snapshotd_process.h"
#include "temp_dir.h"

namespace netsnap::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const std::string kTokenA = "token-a-0123456789abcdef";
const std::string kTokenB = "token-b-0123456789abcdef";

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Sub("resolv.conf"), "nameserver 192.0.2.1\n", 0644);
    WriteFile(dir_.Sub("tokens"), kTokenA + " operator alice\n");
    WriteConfig("");
    daemon_ = std::make_unique<SnapshotdProcess>(
        std::vector<std::string>{"--config", dir_.Sub("snapshotd.toml")},
        std::vector<std::string>{"NOTIFY_SOCKET=" + notify_.path()}, dir_.Sub("log"));
    ASSERT_TRUE(notify_.WaitFor("READY=1", 60s)) << daemon_->Log();
  }
  void TearDown() override {
    daemon_->Signal(SIGTERM);
    EXPECT_EQ(daemon_->Wait(60s), 0) << daemon_->Log();
  }

  // The configuration: the resolver source, tokens, `daemon_more` (whole lines) in [daemon] and
  // `more` at the end.
  void WriteConfig(const std::string& more, const std::string& daemon_more = "") {
    WriteFile(dir_.Sub("snapshotd.toml"),
              "[daemon]\ndata_dir = \"data\"\nsocket = \"api.sock\"\nlisten = \"127.0.0.1:" +
                  std::to_string(port_) + "\"\ntoken_file = \"" + dir_.Sub("tokens") + "\"\n" +
                  daemon_more +
                  "[[source]]\nname = \"res\"\nkind = \"resolver\"\n"
                  "format = \"resolv.conf\"\npath = \"" +
                  dir_.Sub("resolv.conf") + "\"\n" + more);
  }
  // Sends SIGHUP and waits for the reload to end (READY=1 after RELOADING=1).
  void Reload() {
    daemon_->Signal(SIGHUP);
    ASSERT_TRUE(notify_.WaitFor("RELOADING=1", 30s)) << daemon_->Log();
    ASSERT_TRUE(notify_.WaitFor("READY=1", 60s)) << daemon_->Log();
    ASSERT_TRUE(daemon_->running()) << daemon_->Log();
  }
  json::value Get(const std::string& target, const std::string& token) {
    HttpAnswer a = Call(port_, "GET", target, token);
    EXPECT_EQ(a.status, 200) << target << ": " << a.body;
    return a.status == 200 ? json::parse(a.body) : json::value();
  }
  // The source names /v1/health lists, with their states.
  std::map<std::string, std::string> Sources(const std::string& token) {
    std::map<std::string, std::string> out;
    json::value h = Get("/v1/health", token);
    if (!h.is_object()) return out;
    for (const auto& s : h.at("sources").as_array()) {
      out[std::string(s.at("name").as_string())] = std::string(s.at("state").as_string());
    }
    return out;
  }

  TempDir dir_;
  int port_ = FreePort();
  NotifySocket notify_{dir_.Sub("notify")};
  std::unique_ptr<SnapshotdProcess> daemon_;
};

TEST_F(ReloadTest, RotatedTokenIsAcceptedAndTheOldOneRefused) {
  EXPECT_EQ(Call(port_, "GET", "/v1/health", kTokenA).status, 200);
  EXPECT_EQ(Call(port_, "GET", "/v1/health", kTokenB).status, 401);
  WriteFile(dir_.Sub("tokens"), kTokenB + " operator alice\n");
  Reload();
  EXPECT_EQ(Call(port_, "GET", "/v1/health", kTokenB).status, 200);
  EXPECT_EQ(Call(port_, "GET", "/v1/health", kTokenA).status, 401);
  json::value h = Get("/v1/health", kTokenB);
  EXPECT_EQ(h.at("reload").at("ok"), true) << h;
}

TEST_F(ReloadTest, ChangedPolicyApplies) {
  EXPECT_EQ(Get("/v1/sources/res/policy", kTokenA).at("mass_min_records"), 10);
  WriteConfig("[[policy]]\nsource = \"res\"\nmass_min_records = 42\n");
  Reload();
  EXPECT_EQ(Get("/v1/sources/res/policy", kTokenA).at("mass_min_records"), 42);
}

TEST_F(ReloadTest, BadFileKeepsTheOldConfigurationAndShowsTheError) {
  WriteConfig("[[policy]]\nsource = \"res\"\nmass_min_records = 42\n");
  Reload();
  WriteFile(dir_.Sub("tokens"), kTokenB + " operator alice\n");
  WriteConfig(
      "[[policy]]\nsource = \"res\"\nmass_min_records = 7\n[retention]\nkeep_al = \"1d\"\n");
  Reload();
  // Nothing of the new file applies: the old token, the old policy.
  EXPECT_EQ(Call(port_, "GET", "/v1/health", kTokenB).status, 401);
  json::value h = Get("/v1/health", kTokenA);
  ASSERT_TRUE(h.at("reload").is_object()) << h;
  EXPECT_EQ(h.at("reload").at("ok"), false) << h;
  std::string error(h.at("reload").at("error").as_string());
  EXPECT_NE(error.find(dir_.Sub("snapshotd.toml") + ":15"), std::string::npos) << error;
  EXPECT_NE(error.find("keep_al"), std::string::npos) << error;
  EXPECT_EQ(Get("/v1/sources/res/policy", kTokenA).at("mass_min_records"), 42);
  EXPECT_NE(daemon_->Log().find("reload refused"), std::string::npos);
}

// configuration.md, "Metrics listener": a reload opens, refuses and closes it.
TEST_F(ReloadTest, MetricsListenIsOpenedCheckedAndClosedOnReload) {
  const int metrics = FreePort();
  const std::string listen = "metrics_listen = \"127.0.0.1:" + std::to_string(metrics) + "\"\n";
  EXPECT_EQ(Call(metrics, "GET", "/metrics").status, 0);
  WriteConfig("", listen);
  Reload();
  EXPECT_EQ(Call(metrics, "GET", "/metrics").status, 200);
  // A bad address is refused; the listener stays.
  WriteConfig("", "metrics_listen = \"127.0.0.1\"\n");
  Reload();
  json::value h = Get("/v1/health", kTokenA);
  EXPECT_EQ(h.at("reload").at("ok"), false) << h;
  EXPECT_NE(std::string(h.at("reload").at("error").as_string()).find("metrics_listen"),
            std::string::npos)
      << h;
  EXPECT_EQ(Call(metrics, "GET", "/metrics").status, 200);
  WriteConfig("");
  Reload();
  EXPECT_EQ(Call(metrics, "GET", "/metrics").status, 0);
}

TEST_F(ReloadTest, SourceAddedCapturesAndRemovedStops) {
  NetNs ns;
  ASSERT_EQ(ns.Ip("route add 10.42.0.0/16 via 10.99.0.2 table 100"), 0);
  WriteConfig("[[source]]\nname = \"k\"\nkind = \"kernel\"\nnetns = \"" + ns.name() +
              "\"\ntables = [100]\n");
  Reload();
  EXPECT_EQ(Sources(kTokenA),
            (std::map<std::string, std::string>{{"k", "running"}, {"res", "running"}}));
  json::value show = Get("/v1/sources/k/versions/latest", kTokenA);
  EXPECT_NE(json::serialize(show).find("10.42.0.0"), std::string::npos) << show;

  WriteConfig("");
  Reload();
  EXPECT_EQ(Sources(kTokenA), (std::map<std::string, std::string>{{"res", "running"}}));
  EXPECT_EQ(Call(port_, "GET", "/v1/sources/k/policy", kTokenA).status, 404);
}

}  // namespace
}  // namespace netsnap::testing
