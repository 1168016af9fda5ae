// Each format parses to the expected rules and settings, and every file read is versioned with
// its exact bytes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "resolver_test_util.h"
#include "sources/resolver/dnsmasq_parser.h"
#include "support/temp_dir.h"

namespace netsnap::testing {
namespace {

using V = std::vector<std::string>;

TEST(ResolvConf, NameServersSearchOptions) {
  TempDir dir;
  std::string path = dir.Sub("resolv.conf");
  std::string text =
      "# generated\n"
      "nameserver 10.0.0.2\n"
      "nameserver 2001:db8::53\n"
      "; another comment\n"
      "nameserver 192.0.2.1\r\n"
      "search corp.example lab.example\n"
      "options ndots:2 timeout:1\n"
      "options rotate\n";
  WriteFile(path, text, 0640);
  Snapshot s = ReadPass(ResolverFormat::kResolvConf, path);
  auto rules = Rules(s);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules["."].type, ResolverRuleType::kForward);
  EXPECT_EQ(Targets(rules["."]), (V{"10.0.0.2", "2001:db8::53", "192.0.2.1"}));
  EXPECT_EQ(rules["."].origin, path);
  auto settings = Settings(s);
  EXPECT_EQ(settings["search"].values, (V{"corp.example", "lab.example"}));
  EXPECT_EQ(settings["options"].values, (V{"ndots:2", "timeout:1", "rotate"}));
  auto files = Files(s);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[path].has_content);
  EXPECT_EQ(files[path].content, text);  // raw bytes round trip, \r and comments included
  EXPECT_EQ(files[path].mode, 0640u);
  EXPECT_EQ(files[path].error, "");
}

TEST(ResolvConf, MissingFileGivesEmptySnapshot) {
  TempDir dir;
  EXPECT_TRUE(ReadPass(ResolverFormat::kResolvConf, dir.Sub("nope")).empty());
}

TEST(ResolvConf, BadLinesAreRecordedButGoodOnesKept) {
  TempDir dir;
  std::string path = dir.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\nnameserver not-an-ip\nfrobnicate\n");
  Snapshot s = ReadPass(ResolverFormat::kResolvConf, path);
  EXPECT_EQ(Targets(Rules(s)["."]), (V{"10.0.0.1"}));
  EXPECT_EQ(Files(s)[path].error, "line 2: nameserver needs one IP address (and 1 more)");
}

TEST(Dnsmasq, ServerLocalAddressRevServer) {
  TempDir dir;
  std::string path = dir.Sub("dnsmasq.conf");
  WriteFile(path,
            "# main\n"
            "no-resolv\n"
            "strict-order\n"
            "server=10.0.0.1\n"
            "server=10.0.0.2#5353\n"
            "server=/corp.example/10.1.0.1\n"
            "server=/corp.example/10.1.0.2#54@eth0\n"
            "server=/a.example/b.example/192.0.2.7\n"
            "server=/Upper.Example./192.0.2.8   # trailing comment\n"
            "local=/home.lan/\n"
            "server=/use-default.example/#\n"
            "address=/ads.example/0.0.0.0\n"
            "address=/ads.example/::\n"
            "address=/nx.example/\n"
            "rev-server=192.168.0.0/16,10.0.0.9\n"
            "listen-address=127.0.0.1\n"
            "listen-address=::1\n");
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, path);
  auto rules = Rules(s);
  EXPECT_EQ(Targets(rules["."]), (V{"10.0.0.1", "10.0.0.2#5353"}));
  EXPECT_EQ(rules["corp.example"].type, ResolverRuleType::kForward);
  EXPECT_EQ(Targets(rules["corp.example"]), (V{"10.1.0.1", "10.1.0.2#54@eth0"}));
  EXPECT_EQ(Targets(rules["a.example"]), (V{"192.0.2.7"}));
  EXPECT_EQ(Targets(rules["b.example"]), (V{"192.0.2.7"}));
  EXPECT_EQ(Targets(rules["upper.example"]), (V{"192.0.2.8"}));
  EXPECT_EQ(rules["home.lan"].type, ResolverRuleType::kLocal);
  EXPECT_EQ(rules["use-default.example"].type, ResolverRuleType::kSystem);
  EXPECT_EQ(rules["ads.example"].type, ResolverRuleType::kAddress);
  EXPECT_EQ(Targets(rules["ads.example"]), (V{"0.0.0.0", "::"}));
  EXPECT_EQ(rules["nx.example"].type, ResolverRuleType::kAddress);
  EXPECT_TRUE(rules["nx.example"].targets.empty());
  EXPECT_EQ(Targets(rules["168.192.in-addr.arpa"]), (V{"10.0.0.9"}));
  EXPECT_EQ(rules["168.192.in-addr.arpa"].options, (V{"rev-server 192.168.0.0/16"}));
  auto settings = Settings(s);
  EXPECT_EQ(settings["no-resolv"].values, (V{""}));
  EXPECT_EQ(settings["listen-address"].values, (V{"127.0.0.1", "::1"}));
  EXPECT_EQ(Files(s)[path].error, "");
}

TEST(Dnsmasq, ConfFileConfDirServersFile) {
  TempDir dir;
  std::string main = dir.Sub("dnsmasq.conf");
  mkdir(dir.Sub("d").c_str(), 0755);
  WriteFile(main,
            "conf-file=extra.conf\n"  // relative to the including file's folder
            "conf-dir=" +
                dir.Sub("d") +
                ",*.conf\n"
                "servers-file=" +
                dir.Sub("servers") + "\n");
  WriteFile(dir.Sub("extra.conf"), "server=/extra.example/10.2.0.1\n");
  WriteFile(dir.Sub("d/10-vpn.conf"), "server=/vpn.example/10.3.0.1\n");
  WriteFile(dir.Sub("d/20-skip.bak"), "server=/bak.example/10.3.0.2\n");
  WriteFile(dir.Sub("d/.hidden.conf"), "server=/hidden.example/10.3.0.3\n");
  WriteFile(dir.Sub("servers"), "server=/dyn.example/10.4.0.1\nrev-server=10.0.0.0/8,10.4.0.2\n");
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, main);
  auto rules = Rules(s);
  EXPECT_EQ(Targets(rules["extra.example"]), (V{"10.2.0.1"}));
  EXPECT_EQ(rules["extra.example"].origin, dir.Sub("extra.conf"));
  EXPECT_EQ(Targets(rules["vpn.example"]), (V{"10.3.0.1"}));
  EXPECT_EQ(rules.count("bak.example"), 0u);
  EXPECT_EQ(rules.count("hidden.example"), 0u);
  EXPECT_EQ(Targets(rules["dyn.example"]), (V{"10.4.0.1"}));
  EXPECT_EQ(Targets(rules["10.in-addr.arpa"]), (V{"10.4.0.2"}));
  auto files = Files(s);
  EXPECT_EQ(files.size(), 4u);  // main, extra, d/10-vpn.conf, servers
  for (auto& [p, f] : files) EXPECT_EQ(f.error, "") << p;
}

TEST(Dnsmasq, ServersFileAcceptsOnlyServerLines) {
  TempDir dir;
  WriteFile(dir.Sub("main"), "servers-file=" + dir.Sub("servers") + "\n");
  WriteFile(dir.Sub("servers"), "server=/x.example/10.0.0.1\nconf-file=/etc/passwd\n");
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, dir.Sub("main"));
  EXPECT_EQ(Files(s)[dir.Sub("servers")].error,
            "line 2: only server= and rev-server= belong in a servers-file");
  EXPECT_EQ(Files(s).count("/etc/passwd"), 0u);
}

TEST(Dnsmasq, FolderPathIsReadLikeConfDir) {
  TempDir dir;
  WriteFile(dir.Sub("a.conf"), "server=/a.example/10.0.0.1\n");
  WriteFile(dir.Sub("b.conf~"), "server=/b.example/10.0.0.2\n");
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, dir.path());
  auto rules = Rules(s);
  EXPECT_EQ(rules.size(), 1u);
  EXPECT_EQ(Targets(rules["a.example"]), (V{"10.0.0.1"}));
}

TEST(Dnsmasq, ReverseDomain) {
  std::string d;
  ASSERT_TRUE(ReverseDomain("10.0.0.0/8", &d));
  EXPECT_EQ(d, "10.in-addr.arpa");
  ASSERT_TRUE(ReverseDomain("192.168.1.0/24", &d));
  EXPECT_EQ(d, "1.168.192.in-addr.arpa");
  ASSERT_TRUE(ReverseDomain("fd00:1234::/32", &d));
  EXPECT_EQ(d, "4.3.2.1.0.0.d.f.ip6.arpa");
  EXPECT_FALSE(ReverseDomain("nonsense/8", &d));
  EXPECT_FALSE(ReverseDomain("10.0.0.0/33", &d));
}

TEST(Resolved, MainFileAndDropIns) {
  TempDir dir;
  std::string main = dir.Sub("resolved.conf");
  WriteFile(main,
            "[Resolve]\n"
            "DNS=10.0.0.1 10.0.0.2:5353\n"
            "FallbackDNS=1.1.1.1#cloudflare-dns.com\n"
            "Domains=corp.example\n"
            "DNSSEC=allow-downgrade\n"
            "#DNSOverTLS=no\n");
  mkdir((main + ".d").c_str(), 0755);
  WriteFile(main + ".d/10-vpn.conf",
            "[Resolve]\n"
            "DNS=[2001:db8::1]:53%wg0\n"
            "Domains=~vpn.example ~.\n"
            "DNSOverTLS=opportunistic\n");
  WriteFile(main + ".d/20-dnssec.conf", "[Resolve]\nDNSSEC=yes\n");
  WriteFile(main + ".d/30-ignored.txt", "[Resolve]\nDNSSEC=no\n");
  Snapshot s = ReadPass(ResolverFormat::kResolved, main);
  auto rules = Rules(s);
  EXPECT_EQ(Targets(rules["."]), (V{"10.0.0.1", "10.0.0.2#5353", "2001:db8::1#53%wg0"}));
  EXPECT_EQ(rules["."].options, (V{"default-route"}));
  EXPECT_EQ(rules["corp.example"].type, ResolverRuleType::kSystem);
  EXPECT_EQ(rules["corp.example"].options, (V{"routing", "search"}));
  EXPECT_EQ(rules["vpn.example"].options, (V{"routing"}));
  auto settings = Settings(s);
  EXPECT_EQ(settings["DNSSEC"].values, (V{"yes"}));
  EXPECT_EQ(settings["DNSSEC"].origin, main + ".d/20-dnssec.conf");
  EXPECT_EQ(settings["DNSOverTLS"].values, (V{"opportunistic"}));
  EXPECT_EQ(settings["FallbackDNS"].values, (V{"1.1.1.1#cloudflare-dns.com"}));
  EXPECT_EQ(settings["Domains"].values, (V{"corp.example", "~vpn.example", "~."}));
  EXPECT_EQ(Files(s).size(), 3u);
}

TEST(Resolved, EmptyAssignmentResetsList) {
  TempDir dir;
  std::string main = dir.Sub("resolved.conf");
  WriteFile(main, "[Resolve]\nDNS=10.0.0.1\n");
  mkdir((main + ".d").c_str(), 0755);
  WriteFile(main + ".d/override.conf", "[Resolve]\nDNS=\nDNS=10.9.9.9\n");
  auto rules = Rules(ReadPass(ResolverFormat::kResolved, main));
  EXPECT_EQ(Targets(rules["."]), (V{"10.9.9.9"}));
}

TEST(Unbound, ForwardAndStubZones) {
  TempDir dir;
  std::string main = dir.Sub("unbound.conf");
  WriteFile(main,
            "server:\n"
            "  verbosity: 1\n"
            "  local-zone: \"home.lan.\" static\n"
            "  include: \"" +
                dir.Sub("zones.d") +
                "/*.conf\"\n"
                "forward-zone:\n"
                "  name: \".\"\n"
                "  forward-addr: 1.1.1.1@853#cloudflare-dns.com\n"
                "  forward-addr: 9.9.9.9\n"
                "  forward-tls-upstream: yes\n"
                "stub-zone:\n"
                "  name: \"corp.example.\"  # internal\n"
                "  stub-addr: 10.0.0.53\n"
                "  stub-prime: no\n");
  mkdir(dir.Sub("zones.d").c_str(), 0755);
  WriteFile(dir.Sub("zones.d/vpn.conf"),
            "forward-zone:\n  name: vpn.example\n  forward-addr: 10.8.0.1\n  forward-first: yes\n");
  Snapshot s = ReadPass(ResolverFormat::kUnbound, main);
  auto rules = Rules(s);
  EXPECT_EQ(rules["."].type, ResolverRuleType::kForward);
  EXPECT_EQ(Targets(rules["."]), (V{"1.1.1.1#853#cloudflare-dns.com", "9.9.9.9"}));
  EXPECT_EQ(rules["."].options, (V{"forward-tls-upstream yes"}));
  EXPECT_EQ(rules["corp.example"].type, ResolverRuleType::kStub);
  EXPECT_EQ(Targets(rules["corp.example"]), (V{"10.0.0.53"}));
  EXPECT_EQ(rules["corp.example"].options, (V{"stub-prime no"}));
  EXPECT_EQ(Targets(rules["vpn.example"]), (V{"10.8.0.1"}));
  EXPECT_EQ(rules["vpn.example"].options, (V{"forward-first yes"}));
  EXPECT_EQ(rules["home.lan"].type, ResolverRuleType::kLocal);
  EXPECT_EQ(Settings(s)["server:verbosity"].values, (V{"1"}));
  auto files = Files(s);
  EXPECT_EQ(files.size(), 2u);
  for (auto& [p, f] : files) EXPECT_EQ(f.error, "") << p;
}

TEST(Unbound, ZoneWithoutNameIsAnError) {
  TempDir dir;
  WriteFile(dir.Sub("u.conf"), "forward-zone:\n  forward-addr: 1.1.1.1\n");
  Snapshot s = ReadPass(ResolverFormat::kUnbound, dir.Sub("u.conf"));
  EXPECT_TRUE(Rules(s).empty());
  EXPECT_EQ(Files(s)[dir.Sub("u.conf")].error, "line 1: forward-zone without a name");
}

TEST(Files, SymlinkIsFollowedAndLinkVersioned) {
  TempDir dir;
  mkdir(dir.Sub("run").c_str(), 0755);
  WriteFile(dir.Sub("run/resolv.conf"), "nameserver 10.0.0.7\n", 0600);
  ASSERT_EQ(0, symlink("run/resolv.conf", dir.Sub("resolv.conf").c_str()));
  Snapshot s = ReadPass(ResolverFormat::kResolvConf, dir.Sub("resolv.conf"));
  auto files = Files(s);
  ASSERT_EQ(files.size(), 1u);
  const ConfigFile& f = files[dir.Sub("resolv.conf")];
  EXPECT_EQ(f.symlink_target, "run/resolv.conf");
  EXPECT_EQ(f.content, "nameserver 10.0.0.7\n");
  EXPECT_EQ(f.mode, 0600u);
  EXPECT_EQ(Targets(Rules(s)["."]), (V{"10.0.0.7"}));
}

TEST(Files, DanglingSymlinkIsVersionedWithError) {
  TempDir dir;
  ASSERT_EQ(0, symlink("missing", dir.Sub("resolv.conf").c_str()));
  auto files = Files(ReadPass(ResolverFormat::kResolvConf, dir.Sub("resolv.conf")));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_FALSE(files.begin()->second.has_content);
  EXPECT_EQ(files.begin()->second.symlink_target, "missing");
  EXPECT_EQ(files.begin()->second.error, "dangling symbolic link");
}

}  // namespace
}  // namespace netsnap::testing
