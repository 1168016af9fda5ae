// A resolver rollback end to end: a real dnsmasq forwards a domain; the rule is deleted and
// queries fail; the rollback puts the file back, reloads dnsmasq, and queries succeed again.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/config.h"
#include "core/daemon.h"
#include "dnsmasq.h"
#include "restore/rollback_manager.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using namespace testing;

void Write(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  ASSERT_EQ(rename(tmp.c_str(), path.c_str()), 0);
}

TEST(ResolverRollback, PutsAForwardingRuleBackAndDnsmasqAnswersAgain) {
  if (!HaveDnsmasq()) GTEST_SKIP() << "needs dnsmasq-base and bind9-dnsutils";
  TempDir dir;
  chmod(dir.path().c_str(), 0755);  // dnsmasq re-reads its servers-file as "nobody"
  uint16_t up = FreePort(), front = FreePort();
  auto common = [&](uint16_t port, const std::string& name) {
    return "port=" + std::to_string(port) +
           "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\npid-file=" +
           dir.Sub(name + ".pid") + "\n";
  };
  Write(dir.Sub("up.conf"), common(up, "up") + "address=/corp.example/10.1.2.3\n");
  Write(dir.Sub("front.conf"),
        common(front, "front") + "servers-file=" + dir.Sub("servers") + "\n");
  Write(dir.Sub("servers"), "server=/corp.example/127.0.0.1#" + std::to_string(up) + "\n");
  Dnsmasq u(dir.Sub("up.conf"), dir.Sub("up.log"));
  Dnsmasq f(dir.Sub("front.conf"), dir.Sub("front.log"));
  ASSERT_EQ(WaitForAnswer(front, "host.corp.example", "10.1.2.3"), "10.1.2.3");

  DaemonConfig cfg;
  std::string toml = "[daemon]\ndata_dir = \"" + dir.Sub("data") +
                     "\"\n[[source]]\nname = \"dns\"\nkind = \"resolver\"\nformat = \"dnsmasq\"\n"
                     "path = \"" +
                     dir.Sub("front.conf") + "\"\nreload = \"kill -HUP " + std::to_string(f.pid()) +
                     "\"\ndebounce_ms = 20\nwrite_paths = [\"" + dir.Sub("servers") + "\"]\n";
  ASSERT_TRUE(ParseConfig(toml, "test.toml", &cfg).ok());
  Daemon daemon(cfg);
  ASSERT_TRUE(daemon.Start().ok());
  RollbackManager rm(RollbackDeps::Of(&daemon));
  ASSERT_TRUE(rm.Start().ok());
  Recorder* rec = daemon.FindSource("dns");
  VersionHeader good;
  ASSERT_TRUE(rec->CaptureNow(Cause::kManual, {}, "", &good).ok());

  // A provisioning job deletes the rule and reloads dnsmasq: the domain stops resolving.
  Write(dir.Sub("servers"), "");
  kill(f.pid(), SIGHUP);
  ASSERT_EQ(WaitForAnswer(front, "host.corp.example", "status: REFUSED"), "status: REFUSED");
  VersionHeader bad;
  ASSERT_TRUE(rec->CaptureNow(Cause::kManual, {}, "", &bad).ok());
  ASSERT_NE(bad.version, good.version);

  RollbackRequest req;
  req.source = "dns";
  req.to = std::to_string(good.version);
  req.scope.domains = {"corp.example"};
  req.actor = "test";
  Rollback rb;
  Status s = rm.Submit(req, &rb);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(rb.state, "applied") << rb.error;
  EXPECT_EQ(WaitForAnswer(front, "host.corp.example", "10.1.2.3"), "10.1.2.3");
  std::ifstream in(dir.Sub("servers"));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "server=/corp.example/127.0.0.1#" + std::to_string(up) + "\n");
  rm.Stop();
  daemon.Stop();
}

}  // namespace
}  // namespace netsnap
