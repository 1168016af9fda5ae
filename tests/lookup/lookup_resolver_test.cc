// Resolver look-ups against a real dnsmasq: a front dnsmasq forwards by domain to two upstream
// dnsmasq processes that answer corp.example (and below) with different addresses. Its
// servers-file changes in steps; after each step the test asks the front with dig, and at the
// end asks the daemon which rule served each name at each step. The rule's server must be the
// upstream whose address dnsmasq answered.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "dnsmasq.h"
#include "harness.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
namespace t = netsnap::testing;

std::string Conf(uint16_t port, const std::string& rest) {
  return "port=" + std::to_string(port) +
         "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\npid-file=\n" + rest;
}

TEST(LookupResolver, TheRuleTheApiNamesIsTheServerDnsmasqAsked) {
  if (!t::HaveDnsmasq()) GTEST_SKIP() << "needs dnsmasq-base and bind9-dnsutils";
  Snapshotd d;
  // dnsmasq reads servers-file= as nobody once it dropped privileges.
  std::filesystem::permissions(d.dir().path(), std::filesystem::perms(0755));
  // Each port is free when picked; three picks in a row may still give one port twice.
  uint16_t up1 = t::FreePort(), up2 = up1, front_port = up1;
  while (up2 == up1) up2 = t::FreePort();
  while (front_port == up1 || front_port == up2) front_port = t::FreePort();
  const std::map<uint16_t, std::string> answer_of = {{up1, "10.1.1.1"}, {up2, "10.2.2.2"}};
  WriteFile(d.dir().Sub("up1.conf"), Conf(up1, "address=/corp.example/10.1.1.1\n"));
  WriteFile(d.dir().Sub("up2.conf"), Conf(up2, "address=/corp.example/10.2.2.2\n"));
  t::Dnsmasq u1(d.dir().Sub("up1.conf"), d.dir().Sub("up1.log"));
  t::Dnsmasq u2(d.dir().Sub("up2.conf"), d.dir().Sub("up2.log"));
  ASSERT_EQ(t::WaitForAnswer(up1, "corp.example", "10.1.1.1"), "10.1.1.1");
  ASSERT_EQ(t::WaitForAnswer(up2, "corp.example", "10.2.2.2"), "10.2.2.2");

  const std::string servers = d.dir().Sub("servers.conf");
  const std::string front_conf = d.dir().Sub("front.conf");
  auto server = [](const char* domain, uint16_t port) {
    return std::string("server=/") + domain + "/127.0.0.1#" + std::to_string(port) + "\n";
  };
  const std::vector<std::string> steps = {
      server("corp.example", up1),
      server("corp.example", up1) + server("db.corp.example", up2),
      server("corp.example", up2) + server("db.corp.example", up1),
  };
  WriteFile(servers, steps[0]);
  WriteFile(front_conf, Conf(front_port, "servers-file=" + servers + "\n"));
  t::Dnsmasq front(front_conf, d.dir().Sub("front.log"));
  d.Configure(ResolverSource("dns", "dnsmasq", front_conf, "read_paths = [\"" + servers + "\"]"));
  ASSERT_TRUE(d.Start());

  const std::vector<std::string> names = {"db.corp.example", "web.corp.example",
                                          "x.db.corp.example"};
  struct Moment {
    std::string time;
    std::vector<std::string> answers;
  };
  std::vector<Moment> moments;
  // Which upstream serves db.corp.example and web.corp.example at each step.
  const std::vector<std::pair<uint16_t, uint16_t>> ports = {{up1, up1}, {up2, up1}, {up1, up2}};
  auto port_of = [&](const std::string& name, json::value* answer) -> int64_t {
    *answer = d.GetJson("/v1/sources/dns/lookup?name=" + name);
    const json::value* rule =
        answer->is_object() ? answer->as_object().if_contains("rule") : nullptr;
    if (!rule || !rule->is_object()) return -1;
    return rule->at("targets").at(0).at("port").to_number<int64_t>();
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i > 0) {
      WriteFile(servers, steps[i]);
      ASSERT_EQ(kill(front.pid(), SIGHUP), 0);  // dnsmasq re-reads servers-file on SIGHUP
    }
    // Waits until the daemon recorded this step, and dnsmasq reloaded it (db.corp.example
    // moves to another upstream at every step).
    json::value latest;
    ASSERT_TRUE(WaitFor([&] {
      json::value web;
      return port_of("db.corp.example", &latest) == ports[i].first &&
             port_of("web.corp.example", &web) == ports[i].second;
    })) << json::serialize(latest)
        << d.Log();
    const std::string want_db = answer_of.at(ports[i].first);
    ASSERT_EQ(t::WaitForAnswer(front_port, "db.corp.example", want_db), want_db);
    Moment m{std::string(latest.at("version").at("time").as_string()), {}};
    for (const std::string& n : names) m.answers.push_back(t::Query("127.0.0.1", front_port, n));
    moments.push_back(std::move(m));
  }
  for (size_t i = 0; i < moments.size(); ++i) {
    for (size_t k = 0; k < names.size(); ++k) {
      json::value a =
          d.GetJson("/v1/sources/dns/lookup?name=" + names[k] + "&at=" + moments[i].time);
      ASSERT_TRUE(a.is_object());
      ASSERT_EQ(a.at("outcome"), "rule") << json::serialize(a);
      const json::array& targets = a.at("rule").at("targets").as_array();
      ASSERT_FALSE(targets.empty());
      uint16_t port = static_cast<uint16_t>(targets[0].at("port").to_number<int64_t>());
      ASSERT_TRUE(answer_of.count(port)) << json::serialize(a);
      EXPECT_EQ(answer_of.at(port), moments[i].answers[k])
          << "step " << i << ", " << names[k] << "\n"
          << json::serialize(a);
    }
  }
  EXPECT_EQ(moments[0].answers[0], "10.1.1.1");
  EXPECT_EQ(moments[1].answers[0], "10.2.2.2");
  EXPECT_EQ(moments[2].answers[1], "10.2.2.2");
}

}  // namespace
}  // namespace netsnap::e2e
