// The blast-radius guard on a resolver through the real snapshotd and a real dnsmasq (issue 15;
// api.md, the guard): a rollback that removes one rogue default server and puts back the two
// rules it replaced shrinks nothing, so it goes through without force, and dnsmasq, made to
// re-read its servers-file by the source's reload command, answers as before; a rollback to
// an empty servers-file empties the resolver and is refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>

#include "dnsmasq.h"
#include "harness.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::Dnsmasq;
using netsnap::testing::FreePort;
using netsnap::testing::WaitForAnswer;

int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

// dnsmasq's lines for the servers of `domain` (it logs them each time it reads its servers).
size_t ServerLines(const std::string& log, const std::string& domain) {
  size_t n = 0;
  for (size_t at = 0; (at = log.find("for domain " + domain, at)) != std::string::npos; ++at) ++n;
  return n;
}

TEST(E2eGuard, ARogueServerRolledBackWithoutForceAndDnsmasqAnswersAsBefore) {
  if (!netsnap::testing::HaveDnsmasq()) GTEST_SKIP() << "needs dnsmasq-base and bind9-dnsutils";
  Snapshotd d;
  // dnsmasq re-reads its servers-file as nobody: the folder must be reachable.
  chmod(d.dir().path().c_str(), 0711);
  const std::string dns = d.dir().Sub("dns");
  std::filesystem::create_directory(dns);
  chmod(dns.c_str(), 0755);
  const uint16_t up = FreePort(), front = FreePort();
  // Each with its own pid file: the default one in /run may be another dnsmasq's.
  auto common = [&](uint16_t port, const std::string& name) {
    return "port=" + std::to_string(port) + "\npid-file=" + dns + "/" + name +
           ".pid\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
           "log-facility=-\n";
  };
  WriteFile(dns + "/up.conf",
            common(up, "up") + "address=/corp.example/10.1.2.3\naddress=/lab.example/10.4.5.6\n");
  const std::string servers = dns + "/servers";
  WriteFile(servers, "");
  chmod(servers.c_str(), 0644);
  WriteFile(dns + "/front.conf", common(front, "front") + "servers-file=" + servers + "\n");
  Dnsmasq upstream(dns + "/up.conf", dns + "/up.log");
  Dnsmasq dnsmasq(dns + "/front.conf", dns + "/front.log");
  ASSERT_EQ(WaitForAnswer(up, "x.corp.example", "10.1.2.3"), "10.1.2.3")
      << ReadFile(dns + "/up.log");

  d.Configure(ResolverSource("dns", "dnsmasq", dns + "/front.conf",
                             "reload = \"kill -HUP " + std::to_string(dnsmasq.pid()) +
                                 "\"\nwrite_paths = [\"" + servers + "\"]"));
  ASSERT_TRUE(d.Start());
  json::value empty = d.WaitForVersion("dns", [](const json::object&) { return true; });
  ASSERT_TRUE(empty.is_object()) << d.Log();
  auto wrote = [&](const std::string& text) {
    const int64_t last = Int(d.Latest("dns").at("version"));
    WriteFile(servers, text);
    chmod(servers.c_str(), 0644);
    json::value v =
        d.WaitForVersion("dns", [&](const json::object& h) { return Int(h.at("version")) > last; });
    EXPECT_TRUE(v.is_object()) << "after version " << last << ": " << d.Log();
    return v.is_object() ? Int(v.at("version")) : 0;
  };

  // The good configuration, as its owner installs it (and has dnsmasq read it).
  const std::string upstream_at = "127.0.0.1#" + std::to_string(up);
  const std::string good = "server=/corp.example/" + upstream_at + "\nserver=/lab.example/" +
                           upstream_at + "\nserver=" + upstream_at + "\n";
  const int64_t v_good = wrote(good);
  ASSERT_GT(v_good, 0);
  ASSERT_EQ(kill(dnsmasq.pid(), SIGHUP), 0);
  ASSERT_EQ(WaitForAnswer(front, "x.corp.example", "10.1.2.3"), "10.1.2.3")
      << ReadFile(dns + "/front.log");
  ASSERT_EQ(WaitForAnswer(front, "x.lab.example", "10.4.5.6"), "10.4.5.6");

  // A rogue writer replaces the two domain rules by one default server. dnsmasq is not told
  // (nothing here may reach 8.8.8.8): the file alone changes.
  ASSERT_GT(wrote("server=8.8.8.8\nserver=" + upstream_at + "\n"), 0);
  const size_t reads = ServerLines(ReadFile(dns + "/front.log"), "corp.example");

  // Back to the good version: 1 of 2 live rules removed, 2 added — no shrink, no force.
  HttpReply r = d.Post("/v1/sources/dns/rollbacks", "{\"to\":" + std::to_string(v_good) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("state"), "applied") << r.body;
  EXPECT_EQ(ReadFile(servers), good);
  // The reload command ran: dnsmasq read the servers again, and answers as before.
  EXPECT_TRUE(WaitFor([&] {
    return ServerLines(ReadFile(dns + "/front.log"), "corp.example") > reads;
  })) << ReadFile(dns + "/front.log");
  EXPECT_EQ(WaitForAnswer(front, "x.corp.example", "10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(WaitForAnswer(front, "x.lab.example", "10.4.5.6"), "10.4.5.6");

  // Back to the empty file: the resolver would be emptied — refused without force, unchanged.
  r = d.Post("/v1/sources/dns/rollbacks",
             "{\"to\":" + std::to_string(Int(empty.at("version"))) + "}");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.ErrorCode(), "refused") << r.body;
  EXPECT_NE(r.body.find("resolver rules: 3 -> 0 (it would empty resolver rules)"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(ReadFile(servers), good);
  EXPECT_EQ(WaitForAnswer(front, "x.corp.example", "10.1.2.3"), "10.1.2.3");
}

}  // namespace
}  // namespace netsnap::e2e
