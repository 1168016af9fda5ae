// A real dnsmasq on loopback: the rules the resolver source captures from its configuration are
// what dnsmasq actually does. A second dnsmasq (address=/corp.example/...) is the upstream; a
// query for a name under the forwarded domain must reach it through the captured target.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "resolver_test_util.h"
#include "support/dnsmasq.h"
#include "support/netns.h"
#include "support/temp_dir.h"

extern char** environ;

namespace netsnap::testing {
namespace {

using namespace std::chrono_literals;

std::string Common(uint16_t port, const std::string& pidfile) {
  return "port=" + std::to_string(port) +
         "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
         "pid-file=" +
         pidfile + "\n";
}

class RealDnsmasq : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveDnsmasq()) {
      GTEST_SKIP() << "needs dnsmasq-base and bind9-dnsutils";
    }
    chmod(dir_.path().c_str(), 0755);  // dnsmasq re-reads its servers-file as "nobody"
  }
  TempDir dir_;
};

TEST_F(RealDnsmasq, CapturedRulesMatchWhatDnsmasqDoes) {
  uint16_t up1 = FreePort(), up2 = FreePort(), front = FreePort();
  ASSERT_TRUE(up1 && up2 && front);
  WriteFile(dir_.Sub("up1.conf"),
            Common(up1, dir_.Sub("up1.pid")) + "address=/corp.example/10.1.2.3\n");
  WriteFile(dir_.Sub("up2.conf"),
            Common(up2, dir_.Sub("up2.pid")) + "address=/corp.example/10.9.9.9\n");
  // The front: a main file, a conf-dir drop-in and a servers-file, as a VPN client writes them.
  mkdir(dir_.Sub("front.d").c_str(), 0755);
  WriteFile(dir_.Sub("front.conf"), Common(front, dir_.Sub("front.pid")) +
                                        "conf-dir=" + dir_.Sub("front.d") +
                                        ",*.conf\n"
                                        "servers-file=" +
                                        dir_.Sub("servers") + "\n");
  WriteFile(dir_.Sub("front.d/local.conf"), "address=/blocked.example/\n");
  WriteFile(dir_.Sub("servers"), "server=/corp.example/127.0.0.1#" + std::to_string(up1) + "\n");

  Dnsmasq u1(dir_.Sub("up1.conf"), dir_.Sub("up1.log"));
  Dnsmasq u2(dir_.Sub("up2.conf"), dir_.Sub("up2.log"));
  Dnsmasq f(dir_.Sub("front.conf"), dir_.Sub("front.log"));
  ASSERT_EQ(WaitForAnswer(up1, "x.corp.example", "10.1.2.3"), "10.1.2.3");
  ASSERT_EQ(WaitForAnswer(up2, "x.corp.example", "10.9.9.9"), "10.9.9.9");
  ASSERT_EQ(WaitForAnswer(front, "x.corp.example", "10.1.2.3"), "10.1.2.3")
      << ReadFileBytes(dir_.Sub("front.log"));

  // Capture, with a reload command that makes dnsmasq re-read its servers-file.
  RecordingSink sink;
  auto src = MakeSource("[[source]]\nname = \"dnsmasq\"\nformat = \"dnsmasq\"\npath = \"" +
                        dir_.Sub("front.conf") + "\"\nreload = \"kill -HUP " +
                        std::to_string(f.pid()) + "\"\nwrite_paths = [\"" + dir_.Sub("front.d") +
                        "\", \"" + dir_.Sub("servers") + "\"]\n");
  ASSERT_TRUE(src);
  ASSERT_TRUE(src->Start(&sink).ok());
  Snapshot v1 = sink.deliveries()[0].snapshot;
  auto rules = Rules(v1);

  // Every forward rule's target is the server that answers for its domain, and dnsmasq sends
  // names under the domain there.
  ASSERT_EQ(rules.count("corp.example"), 1u);
  const ResolverRule& corp = rules["corp.example"];
  ASSERT_EQ(corp.type, ResolverRuleType::kForward);
  ASSERT_EQ(corp.targets.size(), 1u);
  EXPECT_EQ(Query(corp.targets[0].address, corp.targets[0].port, "host.corp.example"), "10.1.2.3");
  EXPECT_EQ(Query("127.0.0.1", front, "host.corp.example"), "10.1.2.3");
  // The address= rule with no address: dnsmasq answers NXDOMAIN itself.
  EXPECT_EQ(rules["blocked.example"].type, ResolverRuleType::kAddress);
  EXPECT_TRUE(rules["blocked.example"].targets.empty());
  EXPECT_EQ(Query("127.0.0.1", front, "a.blocked.example"), "status: NXDOMAIN");
  // No default rule captured, and dnsmasq has no default server: other names are refused.
  EXPECT_EQ(rules.count("."), 0u);
  EXPECT_EQ(Query("127.0.0.1", front, "www.other.example"), "status: REFUSED");

  // A VPN client repoints the domain: one new version, and after SIGHUP dnsmasq agrees.
  ReplaceFile(dir_.Sub("servers"), "server=/corp.example/127.0.0.1#" + std::to_string(up2) + "\n");
  ASSERT_TRUE(sink.WaitFor(2, 5000));
  ASSERT_TRUE(src->Sync().ok());  // nothing else pending
  ASSERT_EQ(sink.size(), 2u);
  Snapshot v2 = sink.deliveries()[1].snapshot;
  Diff d = ComputeDiff(v1, v2);
  ASSERT_EQ(d.changed.size(), 2u);  // the rule and the servers file
  EXPECT_EQ(d.changed[0].key, ResolverRule::KeyFor("corp.example"));
  EXPECT_EQ(Targets(Rules(v2)["corp.example"]),
            std::vector<std::string>{"127.0.0.1#" + std::to_string(up2)});
  kill(f.pid(), SIGHUP);
  EXPECT_EQ(WaitForAnswer(front, "host.corp.example", "10.9.9.9"), "10.9.9.9");

  // Roll back to v1: the file is put back, the reload command signals dnsmasq, and queries go
  // to the first upstream again.
  Snapshot live;
  ASSERT_TRUE(src->ReadLive(&live).ok());
  ApplyResult r;
  Status st = src->Apply(ComputeDelta(live, v1), &r);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(r.applied, 1u);
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(WaitForAnswer(front, "host.corp.example", "10.1.2.3"), "10.1.2.3");
  // The restore itself is captured as one more version equal to v1.
  ASSERT_TRUE(sink.WaitFor(3, 5000));
  src->Stop();
  EXPECT_EQ(sink.deliveries().back().snapshot.hash(), v1.hash());
  EXPECT_TRUE(f.running() && u1.running() && u2.running());
}

}  // namespace
}  // namespace netsnap::testing
