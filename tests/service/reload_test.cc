// SIGHUP reload with the real snapshotd: a rotated token, a changed policy, a bad file (the old
// configuration stays and /v1/health shows why), a kernel source added in a namespace the test
// creates (it captures) and removed again (it stops).
#include <gtest/gtest.h>
#include <signal.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

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
  // `more` at the end; listening on `port` (port_ when 0).
  void WriteConfig(const std::string& more, const std::string& daemon_more = "", int port = 0) {
    WriteFile(dir_.Sub("snapshotd.toml"),
              "[daemon]\ndata_dir = \"data\"\nsocket = \"api.sock\"\nlisten = \"127.0.0.1:" +
                  std::to_string(port ? port : port_) + "\"\ntoken_file = \"" + dir_.Sub("tokens") +
                  "\"\n" + daemon_more +
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

// [[owner]] on reload (docs/detection.md, Owners): a reload that fails after the file was read
// (here the new API cannot listen: its port is taken) keeps the old owner table; one that
// succeeds makes a process an owner, whose change is then an owner_change, not damage.
TEST_F(ReloadTest, OwnerTableChangesOnlyWithAReloadThatSucceeds) {
  NetNs ns;
  ASSERT_EQ(ns.Ip("route add 10.70.0.0/24 via 10.99.0.3 proto dhcp"), 0);
  const std::string kernel = "[[source]]\nname = \"k\"\nkind = \"kernel\"\nnetns = \"" + ns.name() +
                             "\"\n[[policy]]\nsource = \"k\"\naction = \"restore\"\n"
                             "settle_ms = 100\n";
  const std::string owner = "[[owner]]\nprotocol = \"dhcp\"\nprocesses = [\"leasebot\"]\n";
  WriteConfig(kernel);
  Reload();
  // The owners the API shows for the dhcp route.
  auto owners = [&] {
    json::value v = Get("/v1/sources/k/versions/latest", kTokenA);
    if (!v.is_object()) return json::value();
    for (const json::value& r : v.at("records").as_array()) {
      if (r.at("kind") == "route" && r.at("dst") == "10.70.0.0/24") return r.at("owner");
    }
    return json::value();
  };
  const json::value builtin = owners();
  ASSERT_TRUE(builtin.is_array()) << builtin;
  EXPECT_NE(builtin, json::array({"leasebot"}));

  // The new owner table is valid, but the reload fails later: the old table stays.
  int busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(busy, 0);
  const int taken = FreePort();
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(static_cast<uint16_t>(taken));
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  ASSERT_EQ(listen(busy, 1), 0);
  WriteConfig(kernel + owner, "", taken);
  Reload();
  close(busy);
  json::value h = Get("/v1/health", kTokenA);
  ASSERT_TRUE(h.at("reload").is_object()) << h;
  EXPECT_EQ(h.at("reload").at("ok"), false) << h;
  EXPECT_EQ(owners(), builtin);

  // The same table with the old port: it applies.
  WriteConfig(kernel + owner);
  Reload();
  EXPECT_EQ(Get("/v1/health", kTokenA).at("reload").at("ok"), true);
  EXPECT_EQ(owners(), json::array({"leasebot"}));
  const std::string leasebot = dir_.Sub("leasebot");
  ASSERT_EQ(Shell("cp /bin/ip " + leasebot), 0);
  ASSERT_EQ(
      Shell(leasebot + " -n " + ns.name() + " route change 10.70.0.0/24 via 10.99.0.4 proto dhcp"),
      0);
  auto events = [&](const std::string& type) {
    json::value v = Get("/v1/events?limit=1000&type=" + type, kTokenA);
    return v.is_object() ? v.at("events").as_array() : json::array();
  };
  json::array changes;
  for (int i = 0; i < 1500 && changes.empty(); ++i) {  // bounded: 30 s
    changes = events("owner_change");
    if (changes.empty()) std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(changes.size(), 1u) << daemon_->Log();
  EXPECT_EQ(changes[0].at("writer").at("process"), "leasebot") << changes[0];
  EXPECT_TRUE(events("detection").empty());
}

}  // namespace
}  // namespace netsnap::testing
