// A resolver rollback end to end: a real dnsmasq forwards a domain; the rule is deleted and
// queries fail; the rollback puts the file back, reloads dnsmasq, and queries succeed again.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/config.h"
#include "core/daemon.h"
#include "dnsmasq.h"
#include "netsnap/resolver.h"
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
  EXPECT_EQ(RollbackStateName(rb.state), "applied") << rb.error;
  EXPECT_EQ(WaitForAnswer(front, "host.corp.example", "10.1.2.3"), "10.1.2.3");
  std::ifstream in(dir.Sub("servers"));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "server=/corp.example/127.0.0.1#" + std::to_string(up) + "\n");
  rm.Stop();
  daemon.Stop();
}

// Through the daemon: a conf-dir others can write to is reported (health warning, one
// unsafe_path event), a rollback into it fails naming it, and an include outside the roots is
// stored without its content.
TEST(ResolverRollback, UnsafeFolderIsReportedAndOutsideContentNeverStored) {
  TempDir dir;
  const std::string conf = dir.Sub("conf.d"), secret = dir.Sub("secret");
  ASSERT_EQ(0, mkdir(conf.c_str(), 0755));
  ASSERT_EQ(0, chmod(conf.c_str(), 0777));
  Write(dir.Sub("main.conf"), "conf-dir=" + conf + "\nconf-file=" + secret + "\n");
  Write(conf + "/a.conf", "server=/a.example/10.0.0.1\n");
  Write(secret, "SECRET-51d2\n");
  ASSERT_EQ(0, chmod(secret.c_str(), 0600));
  DaemonConfig cfg;
  std::string toml = "[daemon]\ndata_dir = \"" + dir.Sub("data") +
                     "\"\n[[source]]\nname = \"dns\"\nkind = \"resolver\"\nformat = \"dnsmasq\"\n"
                     "path = \"" +
                     dir.Sub("main.conf") + "\"\nwrite_paths = [\"" + conf + "\"]\n";
  ASSERT_TRUE(ParseConfig(toml, "test.toml", &cfg).ok());
  Daemon daemon(cfg);
  ASSERT_TRUE(daemon.Start().ok());
  RollbackManager rm(RollbackDeps::Of(&daemon));
  ASSERT_TRUE(rm.Start().ok());
  Recorder* rec = daemon.FindSource("dns");
  const std::string warning =
      "folder " + conf + " is writable by others (mode 0777): a rollback into it will be refused";
  SourceState state = rec->state();
  ASSERT_EQ(state.warnings.size(), 1u);
  EXPECT_EQ(state.warnings[0].message, warning);
  const uint64_t good = state.latest.version;

  Write(conf + "/a.conf", "server=/a.example/10.6.6.6\n");
  ASSERT_TRUE(rec->source()->Sync().ok());  // the same warning again: no second event
  std::vector<StoredEvent> events;
  ASSERT_TRUE(daemon.store()->ListEvents(0, 0, 100, &events).ok());
  int unsafe = 0;
  for (const StoredEvent& e : events) {
    if (e.type != "unsafe_path") continue;
    ++unsafe;
    EXPECT_EQ(e.source, "dns");
    EXPECT_NE(e.json.find(warning), std::string::npos) << e.json;
  }
  EXPECT_EQ(unsafe, 1);

  RollbackRequest req;
  req.source = "dns";
  req.to = std::to_string(good);
  req.actor = "test";
  Rollback rb;
  ASSERT_TRUE(rm.Submit(req, &rb).ok());
  EXPECT_EQ(rb.state, RollbackState::kFailed) << RollbackStateName(rb.state);
  EXPECT_NE(rb.error.find("not writing " + conf + "/a.conf: folder " + conf +
                          " is writable by others (mode 0777)"),
            std::string::npos)
      << rb.error;
  std::ifstream in(conf + "/a.conf");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "server=/a.example/10.6.6.6\n");

  // Every stored version holds the include's hash, never its bytes.
  VersionHeader latest;
  ASSERT_TRUE(daemon.store()->Latest("dns", &latest).ok());
  for (uint64_t v = 1; v <= latest.version; ++v) {
    Snapshot s;
    ASSERT_TRUE(daemon.store()->Reconstruct("dns", v, &s).ok());
    ASSERT_TRUE(s.Find(ConfigFile::KeyFor(secret)).has_value());
    for (RecordRef r : s) EXPECT_EQ(std::string(r.value).find("SECRET-51d2"), std::string::npos);
  }
  rm.Stop();
  daemon.Stop();
}

}  // namespace
}  // namespace netsnap
