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
#include "support/netns.h"
#include "support/temp_dir.h"

extern char** environ;

namespace netsnap::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

// A loopback port free for both UDP and TCP right now.
uint16_t FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      close(u);
      continue;
    }
    int t = socket(AF_INET, SOCK_STREAM, 0);
    int ok = bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a);
    close(t);
    close(u);
    if (ok == 0) return ntohs(a.sin_port);
  }
  ADD_FAILURE() << "no free port";
  return 0;
}

// One dnsmasq in the foreground; killed when destroyed.
class Dnsmasq {
 public:
  Dnsmasq(const std::string& conf, const std::string& log) {
    std::string arg = "--conf-file=" + conf;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char* argv[] = {const_cast<char*>(kDnsmasq), const_cast<char*>("--keep-in-foreground"),
                    arg.data(), nullptr};
    if (posix_spawn(&pid_, kDnsmasq, &fa, nullptr, argv, environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Dnsmasq() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(10ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = 0;
};

// dig's short answer (addresses, one a line), or "status: X" when there is none.
std::string Query(const std::string& server, uint16_t port, const std::string& name) {
  std::string out;
  Shell("dig @" + server + " -p " + std::to_string(port) + " +time=1 +tries=1 " + name + " A 2>&1",
        &out);
  std::string status;
  size_t s = out.find("status: ");
  if (s != std::string::npos) status = out.substr(s + 8, out.find(',', s) - s - 8);
  if (status != "NOERROR") return "status: " + (status.empty() ? std::string("none") : status);
  std::string shortout;
  Shell("dig @" + server + " -p " + std::to_string(port) + " +time=1 +tries=1 +short " + name +
            " A 2>&1",
        &shortout);
  while (!shortout.empty() && shortout.back() == '\n') shortout.pop_back();
  return shortout;
}

// Polls until `name` resolves to `want` through the server (bounded).
std::string WaitForAnswer(uint16_t port, const std::string& name, const std::string& want) {
  std::string got;
  for (int i = 0; i < 50; ++i) {
    got = Query("127.0.0.1", port, name);
    if (got == want) break;
    std::this_thread::sleep_for(100ms);
  }
  return got;
}

std::string Common(uint16_t port, const std::string& pidfile) {
  return "port=" + std::to_string(port) +
         "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
         "pid-file=" +
         pidfile + "\n";
}

class RealDnsmasq : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kDnsmasq, X_OK) != 0 || Shell("command -v dig >/dev/null") != 0) {
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
                        std::to_string(f.pid()) + "\"\n");
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
  std::this_thread::sleep_for(400ms);
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
