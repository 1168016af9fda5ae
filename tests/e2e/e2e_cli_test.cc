// The real `netsnap` CLI against the real daemon: --only scopes, the guard and --force, the
// y/N prompt on a terminal, --confirm-within with confirm and cancel, and exit codes.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

// A kernel source "k" (routes in tables 100 and main) and a dnsmasq-format resolver source
// "dns" over a folder of two drop-ins.
class E2eCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(d.dir().Sub("dnsmasq.d"));
    vpn = d.dir().Sub("dnsmasq.d/vpn.conf");
    lan = d.dir().Sub("dnsmasq.d/lan.conf");
    WriteFile(vpn, "server=/corp.example/10.8.0.1\n");
    WriteFile(lan, "server=/lan.example/192.168.1.1\n");
    d.Configure(KernelSource("k", ns.path()) +
                ResolverSource("dns", "dnsmasq", d.dir().Sub("dnsmasq.d")));
    ASSERT_TRUE(d.Start());
    for (const char* r :
         {"10.1.0.0/16 via 10.99.0.5 dev a0 table 100",
          "10.2.0.0/16 via 10.99.0.5 dev a0 table 100", "10.3.0.0/16 via 10.99.0.5 dev a0"}) {
      ASSERT_EQ(ns.Ip(std::string("route add ") + r), 0) << r;
    }
    good = Int(d.WaitForVersion("k", [](const json::object& h) {
                  return h.at("records") == 8;  // 3 routes and 5 default rules
                }).at("version"));
    // The damage: one route of each table gone, one moved to another gateway.
    ASSERT_EQ(ns.Ip("route del 10.1.0.0/16 table 100"), 0);
    ASSERT_EQ(ns.Ip("route del 10.3.0.0/16"), 0);
    ASSERT_EQ(ns.Ip("route replace 10.2.0.0/16 via 10.99.0.6 dev a0 table 100"), 0);
    ASSERT_TRUE(d.WaitForVersion("k", [](const json::object& h) {
                   return h.at("records") == 6;
                 }).is_object());
    // The replace may be stored after the deletions: wait until the daemon saw it.
    ASSERT_TRUE(WaitFor([&] {
      HttpReply r = d.Get("/v1/sources/k/versions/latest?format=text");
      return r.body.find("10.2.0.0/16 via 10.99.0.6") != std::string::npos;
    }));
  }

  std::vector<std::string> Table(const std::string& t) { return RouteLines(ns.name(), t); }

  NetNs ns;
  Snapshotd d;
  std::string vpn, lan;
  int64_t good = 0;
};

TEST_F(E2eCli, OnlyTableAndKindNarrowThePlan) {
  CliResult r =
      d.Cli({"rollback", "k", "--to", std::to_string(good), "--only", "table:100", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("add 1, remove 0, replace 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+ 10.1.0.0/16 via 10.99.0.5 dev a0 table 100\n"), std::string::npos);
  EXPECT_NE(r.out.find("- 10.2.0.0/16 via 10.99.0.6 dev a0 table 100\n+ 10.2.0.0/16 via "
                       "10.99.0.5 dev a0 table 100\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("10.3.0.0/16"), std::string::npos) << "table main is out of scope";

  r = d.Cli({"rollback", "k", "--to", std::to_string(good), "--only", "table:main", "--only",
             "kind:route", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": applied (add 1, remove 0, replace 0)"), std::string::npos) << r.out;
  EXPECT_EQ(Table("proto boot"), std::vector<std::string>{"10.3.0.0/16 via 10.99.0.5 dev a0"});
  EXPECT_EQ(Table("table 100").size(), 1u) << "table 100 untouched";

  r = d.Cli({"rollback", "k", "--to", "1", "--only", "colour:blue"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("expected table:T, prefix:P, kind:K, domain:D or file:F"), std::string::npos)
      << r.err;
}

TEST_F(E2eCli, OnlyDomainAndFileRollBackWholeResolverFiles) {
  int64_t before = Int(d.Latest("dns").at("version"));
  WriteFile(vpn, "server=/corp.example/10.9.9.9\n");
  WriteFile(lan, "server=/lan.example/192.168.1.254\n");
  ASSERT_TRUE(d.WaitForVersion("dns", [&](const json::object& h) {
                 return Int(h.at("version")) > before && h.at("changed") == 4;
               }).is_object());
  CliResult r = d.Cli({"rollback", "dns", "--to", std::to_string(before), "--only",
                       "domain:corp.example", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ReadFile(vpn), "server=/corp.example/10.8.0.1\n");
  EXPECT_EQ(ReadFile(lan), "server=/lan.example/192.168.1.254\n") << "another file: untouched";

  r = d.Cli({"rollback", "dns", "--to", std::to_string(before), "--only", "file:" + lan, "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ReadFile(lan), "server=/lan.example/192.168.1.1\n");
}

TEST_F(E2eCli, TheGuardRefusesWithExitFiveAndForceOverridesIt) {
  // Back to before any route existed: table 100 would be emptied.
  int64_t empty =
      Int(d.GetJson("/v1/sources/k/versions?order=asc&limit=1").at("versions").at(0).at("version"));
  CliResult r = d.Cli({"rollback", "k", "--to", std::to_string(empty), "--yes"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("it would empty table 100"), std::string::npos) << r.err;
  EXPECT_EQ(Table("table 100").size(), 1u);
  r = d.Cli(
      {"rollback", "k", "--to", std::to_string(empty), "--force", "--reason", "rebuild", "--yes"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": applied"), std::string::npos) << r.out;
  EXPECT_TRUE(Table("table 100").empty());
}

TEST_F(E2eCli, ThePromptAppliesOnYesOnlyAndRefusesWithoutATerminal) {
  std::vector<std::string> args = {"--no-color",         "rollback", "k",        "--to",
                                   std::to_string(good), "--only",   "table:100"};
  CliResult no = d.CliOnTerminal(args, "n");
  EXPECT_EQ(no.exit_code, 5) << no.out;
  EXPECT_NE(no.out.find("Apply this rollback to k? [y/N]"), std::string::npos) << no.out;
  EXPECT_NE(no.out.find("rollback not applied"), std::string::npos) << no.out;
  EXPECT_EQ(Table("table 100").size(), 1u);

  CliResult piped = d.Cli(args, "y\n");
  EXPECT_EQ(piped.exit_code, 5);
  EXPECT_NE(piped.err.find("stdin is not a terminal; pass --yes"), std::string::npos) << piped.err;
  EXPECT_EQ(Table("table 100").size(), 1u);

  CliResult yes = d.CliOnTerminal(args, "y");
  EXPECT_EQ(yes.exit_code, 0) << yes.out;
  EXPECT_NE(yes.out.find("+ 10.1.0.0/16 via 10.99.0.5 dev a0 table 100"), std::string::npos)
      << yes.out;
  EXPECT_NE(yes.out.find(": applied"), std::string::npos) << yes.out;
  EXPECT_EQ(Table("table 100").size(), 2u);
}

TEST_F(E2eCli, ConfirmWithinThenConfirmOrCancel) {
  std::vector<std::string> args = {
      "--json",    "rollback",         "k",  "--to", std::to_string(good), "--only",
      "table:100", "--confirm-within", "5m", "--yes"};
  CliResult r = d.Cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rb = json::parse(r.out);
  EXPECT_EQ(rb.at("state"), "awaiting_confirmation");
  EXPECT_EQ(rb.at("confirm_deadline").is_string(), true);
  std::string id(rb.at("id").as_string());
  CliResult c = d.Cli({"confirm", id});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("rollback " + id + ": confirmed"), std::string::npos) << c.out;
  EXPECT_EQ(Table("table 100").size(), 2u);
  c = d.Cli({"cancel", id});
  EXPECT_EQ(c.exit_code, 5) << "a confirmed rollback cannot be cancelled";

  ASSERT_EQ(ns.Ip("route del 10.1.0.0/16 table 100"), 0);
  ASSERT_TRUE(d.WaitForVersion("k", [](const json::object& h) {
                 return h.at("records") == 6;
               }).is_object());
  r = d.Cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  id = std::string(json::parse(r.out).at("id").as_string());
  EXPECT_EQ(Table("table 100").size(), 2u);
  c = d.Cli({"cancel", id});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("rollback " + id + ": reverted"), std::string::npos) << c.out;
  EXPECT_EQ(Table("table 100").size(), 1u);

  r = d.Cli({"rollback", "k", "--to", "1", "--confirm-within", "soon", "--yes"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST_F(E2eCli, ExitCodesAsDocumented) {
  EXPECT_EQ(d.Cli({"status"}).exit_code, 0);
  EXPECT_EQ(d.Cli({"log", "nope"}).exit_code, 3);
  EXPECT_EQ(d.Cli({"show", "k@999"}).exit_code, 3);
  EXPECT_EQ(d.Cli({"confirm", "999"}).exit_code, 3);
  EXPECT_EQ(d.Cli({"log", "k", "--since", "yesterday-ish"}).exit_code, 2);
  EXPECT_EQ(d.Cli({"frobnicate"}).exit_code, 2);
  // A viewer's token may read, not roll back: 403 is exit 5.
  std::string viewer = d.dir().Sub("viewer-token");
  WriteFile(viewer, std::string(kViewerToken) + "\n");
  CliResult r = d.Cli({"snapshot", "k"}, "", viewer);
  EXPECT_EQ(r.exit_code, 5) << r.err;
  // A wrong token is 401: exit 4, and so is a daemon that is not there.
  WriteFile(viewer, "e2e-wrong-token-0123456789\n");
  EXPECT_EQ(d.Cli({"status"}, "", viewer).exit_code, 4);
  d.Kill9();
  r = d.Cli({"status"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
}

}  // namespace
}  // namespace netsnap::e2e
