// Owners end to end (docs/detection.md, "Owners"): real routing daemons — BIRD 2, FRR's zebra
// and staticd — in network namespaces the tests create, a real daemon with detection and
// restores, and other writers (`ip`, a copy of `ip` named like a DHCP client).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "e2e_env.h"
#include "netns.h"

namespace netsnap::testing {
namespace {

using std::chrono::seconds;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Routes of the namespace's main table with protocol `proto` (a name or number).
int CountProto(const NetNs& ns, const std::string& proto) {
  std::string out;
  ns.Ip("-4 route show proto " + proto, &out);
  return static_cast<int>(std::count(out.begin(), out.end(), '\n'));
}

std::string KernelToml(const NetNs& ns, const std::string& policy) {
  return "[[source]]\nname = \"k\"\nkind = \"kernel\"\nnetns = \"" + ns.path() +
         "\"\n[[policy]]\nsource = \"k\"\n" + policy;
}

// Sums counts[field] over the events of `type` for protocol `proto`.
int64_t Sum(DetectEnv& env, const std::string& type, const std::string& proto,
            const std::string& field) {
  int64_t n = 0;
  for (const StoredEvent& e : env.Events(type)) {
    boost::json::object f = Fields(e);
    if (f["protocol"] != proto.c_str()) continue;
    if (const auto* c = f["counts"].as_object().if_contains(field)) n += c->as_int64();
  }
  return n;
}

void ExpectNoDamageNoRestoreNoConflict(DetectEnv& env) {
  EXPECT_TRUE(env.Events("detection").empty()) << env.Events("detection")[0].json;
  EXPECT_TRUE(env.Events("restore").empty());
  EXPECT_TRUE(env.Events("conflict").empty());
}

// BIRD 2 in the namespace: static protocols s1 (10.60.i.0/24) and s2 (10.61.i.0/24) of
// `per` routes each, exported to the kernel as proto bird (persist off: a clean stop removes
// them; a kill -9 would leave them).
class Bird {
 public:
  Bird(const NetNs& ns, const TempDir& dir, int per) : ns_(ns), dir_(dir) {
    std::string conf =
        "router id 10.99.0.1;\n"
        "protocol device { scan time 2; }\n"
        "protocol kernel k4 { ipv4 { export all; import none; }; learn off; persist off; "
        "scan time 2; }\n";
    for (int s = 0; s < 2; ++s) {
      conf += "protocol static s" + std::to_string(s + 1) + " { ipv4;\n";
      for (int i = 0; i < per; ++i) {
        conf += "  route 10." + std::to_string(60 + s) + "." + std::to_string(i) +
                ".0/24 via 10.99.0.3;\n";
      }
      conf += "}\n";
    }
    WriteFile(dir_.Sub("bird.conf"), conf);
  }
  void Start() {
    child_ =
        std::make_unique<Child>("exec ip netns exec " + ns_.name() + " bird -f -c " +
                                dir_.Sub("bird.conf") + " -s " + dir_.Sub("bird.ctl") + " -P " +
                                dir_.Sub("bird.pid") + " >" + dir_.Sub("bird.log") + " 2>&1");
  }
  // SIGTERM: BIRD shuts down cleanly, withdrawing its routes, and is reaped.
  void Stop() { child_.reset(); }
  int Birdc(const std::string& command) {
    return Shell("birdc -s " + dir_.Sub("bird.ctl") + " " + command + " >/dev/null");
  }

 private:
  const NetNs& ns_;
  const TempDir& dir_;
  std::unique_ptr<Child> child_;
};

class BirdTest : public ::testing::Test {
 protected:
  static constexpr int kPer = 50;
  void SetUp() override {
    bird_ = std::make_unique<Bird>(ns_, dir_, kPer);
    bird_->Start();
    ASSERT_TRUE(Eventually([&] { return CountProto(ns_, "bird") == 2 * kPer; }, seconds(30)))
        << "BIRD did not install its routes";
  }
  void TearDown() override { bird_.reset(); }
  void StartEnv(const std::string& policy) {
    ASSERT_TRUE(
        env_.Start(KernelToml(ns_, "action = \"restore\"\nsettle_ms = 100\n" + policy)).ok());
  }
  NetNs ns_;
  TempDir dir_;
  std::unique_ptr<Bird> bird_;
  DetectEnv env_;
};

TEST_F(BirdTest, RogueDeletionOfBirdRoutesIsRestored) {
  StartEnv("");
  std::string del;
  for (int i = 0; i < 30; ++i) del += "route del 10.60." + std::to_string(i) + ".0/24\n";
  WriteFile(dir_.Sub("del.batch"), del);
  ASSERT_EQ(ns_.IpBatch(dir_.Sub("del.batch")), 0);
  StoredEvent det;
  ASSERT_TRUE(env_.WaitForEvent(
      "detection", [](const StoredEvent&) { return true; }, seconds(30), &det));
  boost::json::object f = Fields(det);
  EXPECT_EQ(f["actor"].as_object()["process"], "ip") << det.json;
  EXPECT_EQ(f["action"], "restore") << det.json;
  ASSERT_TRUE(env_.WaitForEvent(
      "restore", [](const StoredEvent& e) { return Fields(e)["outcome"] == "applied"; },
      seconds(30)));
  EXPECT_TRUE(Eventually([&] { return CountProto(ns_, "bird") == 2 * kPer; }, seconds(30)));
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  EXPECT_EQ(CountProto(ns_, "bird"), 2 * kPer);
  EXPECT_TRUE(env_.Events("conflict").empty());
}

TEST_F(BirdTest, DisablingAProtocolIsAnOwnerChangeNeverRestored) {
  StartEnv("");
  ASSERT_EQ(bird_->Birdc("disable s2"), 0);
  ASSERT_TRUE(Eventually([&] { return CountProto(ns_, "bird") == kPer; }, seconds(30)));
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  EXPECT_TRUE(Eventually([&] { return Sum(env_, "owner_change", "bird", "removed") == kPer; },
                         seconds(30)));
  StoredEvent ev;
  ASSERT_TRUE(env_.WaitForEvent(
      "owner_change", [](const StoredEvent&) { return true; }, seconds(1), &ev));
  boost::json::object f = Fields(ev);
  EXPECT_EQ(f["writer"].as_object()["process"], "bird") << ev.json;
  EXPECT_EQ(boost::json::serialize(f["processes"]), R"(["bird","bird6"])") << ev.json;
  ExpectNoDamageNoRestoreNoConflict(env_);
  EXPECT_TRUE(env_.Events("owner_exit").empty());
  EXPECT_EQ(CountProto(ns_, "bird"), kPer);
  // And back: the owner adds them again, also its business.
  ASSERT_EQ(bird_->Birdc("enable s2"), 0);
  ASSERT_TRUE(Eventually([&] { return CountProto(ns_, "bird") == 2 * kPer; }, seconds(30)));
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  EXPECT_TRUE(
      Eventually([&] { return Sum(env_, "owner_change", "bird", "added") == kPer; }, seconds(30)));
  ExpectNoDamageNoRestoreNoConflict(env_);
}

// [[owner]] replaces the built-in list: with nobody owning proto bird, BIRD's withdrawal is
// damage like anyone else's (the behaviour before owners, which issue 15 reported).
TEST_F(BirdTest, AnOwnerTableWithoutProcessesMakesTheWithdrawalDamage) {
  ASSERT_TRUE(env_.Start(KernelToml(ns_, "action = \"alert\"\n") +
                         "[[owner]]\nprotocol = \"bird\"\nprocesses = []\n")
                  .ok());
  ASSERT_EQ(bird_->Birdc("disable s2"), 0);
  StoredEvent det;
  ASSERT_TRUE(env_.WaitForEvent(
      "detection", [](const StoredEvent&) { return true; }, seconds(30), &det));
  EXPECT_EQ(Fields(det)["actor"].as_object()["process"], "bird") << det.json;
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  EXPECT_TRUE(env_.Events("owner_change").empty());
}

TEST_F(BirdTest, StoppedIsAnOwnerExitAndRestartedBringsTheRoutesBackWithoutAFight) {
  StartEnv("");
  bird_->Stop();
  ASSERT_TRUE(Eventually([&] { return CountProto(ns_, "bird") == 0; }, seconds(30)));
  StoredEvent ev;
  ASSERT_TRUE(env_.WaitForEvent(
      "owner_exit", [](const StoredEvent&) { return true; }, seconds(30), &ev));
  boost::json::object f = Fields(ev);
  EXPECT_EQ(f["protocol"], "bird") << ev.json;
  EXPECT_EQ(f["action"], "alert") << ev.json;
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  // A clean stop withdraws in one go or a few versions: the last of them is the exit.
  EXPECT_EQ(
      Sum(env_, "owner_exit", "bird", "removed") + Sum(env_, "owner_change", "bird", "removed"),
      2 * kPer);
  ExpectNoDamageNoRestoreNoConflict(env_);
  EXPECT_EQ(CountProto(ns_, "bird"), 0);

  bird_->Start();
  ASSERT_TRUE(Eventually([&] { return CountProto(ns_, "bird") == 2 * kPer; }, seconds(30)));
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  EXPECT_TRUE(Eventually([&] { return Sum(env_, "owner_change", "bird", "added") == 2 * kPer; },
                         seconds(30)));
  ExpectNoDamageNoRestoreNoConflict(env_);
}

TEST_F(BirdTest, OwnerExitIsRestoredWhenThePolicySaysSo) {
  StartEnv("restore_owner_exit = true\n");
  bird_->Stop();
  StoredEvent ev;
  ASSERT_TRUE(env_.WaitForEvent(
      "owner_exit", [](const StoredEvent&) { return true; }, seconds(30), &ev));
  EXPECT_EQ(Fields(ev)["action"], "restore") << ev.json;
  ASSERT_TRUE(env_.WaitForEvent(
      "restore", [](const StoredEvent& e) { return Fields(e)["outcome"] == "applied"; },
      seconds(30)));
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  // Put back with their recorded protocol while BIRD is down.
  EXPECT_EQ(CountProto(ns_, "bird"), static_cast<int>(Sum(env_, "owner_exit", "bird", "removed")));
  EXPECT_GT(CountProto(ns_, "bird"), 0);
  EXPECT_TRUE(env_.Events("detection").empty());
  EXPECT_TRUE(env_.Events("conflict").empty());
}

// FRR: zebra and staticd in the namespace with their config, pid files, zserv and vty sockets
// in the test's folder; static routes 10.50.i.0/24 installed by zebra as proto 196.
class FrrTest : public ::testing::Test {
 protected:
  static constexpr int kRoutes = 40;
  void SetUp() override {
    std::string statics;
    for (int i = 0; i < kRoutes; ++i)
      statics += "ip route 10.50." + std::to_string(i) + ".0/24 10.99.0.3\n";
    WriteFile(dir_.Sub("zebra.conf"), "hostname z\n");
    WriteFile(dir_.Sub("staticd.conf"), statics);
    // The daemons drop root for the frr user (they refuse root: it is not in group frrvty).
    ASSERT_EQ(Shell("chown -R frr:frr " + dir_.path()), 0);
    zebra_ = std::make_unique<Child>(Daemon("zebra"));
    ASSERT_TRUE(
        Eventually([&] { return std::filesystem::exists(dir_.Sub("zserv.api")); }, seconds(30)));
    staticd_ = std::make_unique<Child>(Daemon("staticd"));
    ASSERT_TRUE(Eventually([&] { return CountProto(ns_, "196") == kRoutes; }, seconds(30)))
        << "FRR did not install its routes";
  }
  void TearDown() override {
    staticd_.reset();
    zebra_.reset();
  }
  std::string Daemon(const std::string& name) {
    return "exec ip netns exec " + ns_.name() + " /usr/lib/frr/" + name + " -u frr -g frr -f " +
           dir_.Sub(name + ".conf") + " -i " + dir_.Sub(name + ".pid") + " -z " +
           dir_.Sub("zserv.api") + " --vty_socket " + dir_.path() + " >" + dir_.Sub(name + ".log") +
           " 2>&1";
  }
  NetNs ns_;
  TempDir dir_;
  std::unique_ptr<Child> zebra_, staticd_;
  DetectEnv env_;
};

TEST_F(FrrTest, OwnerWithdrawalIsNotRestoredRogueDeletionIs) {
  ASSERT_TRUE(
      env_.Start(KernelToml(ns_, "action = \"restore\"\nsettle_ms = 100\ncooldown_s = 0\n")).ok());
  // The operator withdraws half of the static routes through FRR: zebra removes them.
  std::string vtysh = "vtysh --vty_socket " + dir_.path() + " -c 'conf t'";
  for (int i = 0; i < kRoutes / 2; ++i)
    vtysh += " -c 'no ip route 10.50." + std::to_string(i) + ".0/24 10.99.0.3'";
  ASSERT_EQ(Shell(vtysh + " >/dev/null"), 0);
  ASSERT_TRUE(Eventually([&] { return CountProto(ns_, "196") == kRoutes / 2; }, seconds(30)));
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  EXPECT_TRUE(Eventually(
      [&] { return Sum(env_, "owner_change", "static", "removed") == kRoutes / 2; }, seconds(30)))
      << (env_.Events("").empty() ? "" : env_.Events("").back().json);
  StoredEvent ev;
  ASSERT_TRUE(env_.WaitForEvent(
      "owner_change", [](const StoredEvent&) { return true; }, seconds(1), &ev));
  EXPECT_EQ(Fields(ev)["writer"].as_object()["process"], "zebra") << ev.json;
  ExpectNoDamageNoRestoreNoConflict(env_);
  EXPECT_EQ(CountProto(ns_, "196"), kRoutes / 2);

  // Someone else deletes half of the rest: damage, put back.
  std::string del;
  for (int i = kRoutes / 2; i < kRoutes * 3 / 4; ++i)
    del += "route del 10.50." + std::to_string(i) + ".0/24\n";
  WriteFile(dir_.Sub("del.batch"), del);
  ASSERT_EQ(ns_.IpBatch(dir_.Sub("del.batch")), 0);
  StoredEvent det;
  ASSERT_TRUE(env_.WaitForEvent(
      "detection", [](const StoredEvent&) { return true; }, seconds(30), &det));
  EXPECT_EQ(Fields(det)["actor"].as_object()["process"], "ip") << det.json;
  EXPECT_EQ(Fields(det)["action"], "restore") << det.json;
  EXPECT_TRUE(Eventually([&] { return CountProto(ns_, "196") == kRoutes / 2; }, seconds(30)));
  ASSERT_NO_FATAL_FAILURE(env_.Settle("k"));
  EXPECT_EQ(CountProto(ns_, "196"), kRoutes / 2);
  EXPECT_TRUE(env_.Events("conflict").empty());
}

// A proto dhcp route changed by a process named like a DHCP client (a copy of ip named
// dhclient) is the owner's change; changed by ip, it is damage and put back as proto dhcp.
TEST(OwnerDhcp, ChangedByADhcpClientIsAnOwnerChangeByIpIsDamage) {
  NetNs ns;
  TempDir dir;
  ASSERT_EQ(ns.Ip("route add 10.70.0.0/24 via 10.99.0.3 proto dhcp"), 0);
  ASSERT_EQ(Shell("cp /bin/ip " + dir.Sub("dhclient")), 0);
  DetectEnv env;
  ASSERT_TRUE(env.Start(KernelToml(ns, "action = \"restore\"\nsettle_ms = 100\n")).ok());
  ASSERT_EQ(Shell(dir.Sub("dhclient") + " -n " + ns.name() +
                  " route change 10.70.0.0/24 via 10.99.0.4 proto dhcp"),
            0);
  StoredEvent ev;
  ASSERT_TRUE(env.WaitForEvent(
      "owner_change", [](const StoredEvent&) { return true; }, seconds(30), &ev));
  boost::json::object f = Fields(ev);
  EXPECT_EQ(f["protocol"], "dhcp") << ev.json;
  EXPECT_EQ(f["writer"].as_object()["process"], "dhclient") << ev.json;
  EXPECT_EQ(f["counts"].as_object()["changed"], 1) << ev.json;
  ASSERT_NO_FATAL_FAILURE(env.Settle("k"));
  ExpectNoDamageNoRestoreNoConflict(env);

  ASSERT_EQ(ns.Ip("route change 10.70.0.0/24 via 10.99.0.5 proto dhcp"), 0);
  StoredEvent det;
  ASSERT_TRUE(env.WaitForEvent(
      "detection", [](const StoredEvent&) { return true; }, seconds(30), &det));
  EXPECT_EQ(Fields(det)["kind"], "overwrite") << det.json;
  EXPECT_EQ(Fields(det)["actor"].as_object()["process"], "ip") << det.json;
  std::string route;
  EXPECT_TRUE(Eventually(
      [&] {
        ns.Ip("-4 route show 10.70.0.0/24", &route);
        return route.find("via 10.99.0.4") != std::string::npos;
      },
      seconds(30)))
      << route;
  EXPECT_NE(route.find("proto dhcp"), std::string::npos) << route;
}

}  // namespace
}  // namespace netsnap::testing
