// The API's look-ups against the kernel's own answers: a namespace with several tables, rules
// with selectors, multipath routes and next-hop groups changes in steps; after each step the
// test records `ip route get … fibmatch` for a set of flows, and at the end asks the real
// daemon what served each flow at each step. Every answer must be the kernel's.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <tuple>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

// The configuration, in steps; each step is a list of `ip` arguments.
const std::vector<std::vector<std::string>> kSteps = {
    {"nexthop add id 1 via 10.99.0.2 dev a0", "nexthop add id 2 via 10.98.0.2 dev a1",
     "nexthop add id 10 group 1/2,3", "route add 10.1.0.0/16 table 10 nhid 10",
     "rule add pref 100 fwmark 7 table 10", "route add 10.0.0.0/8 via 10.99.0.2"},
    {"route add 10.1.2.0/24 table 10 nexthop via 10.99.0.2 dev a0 nexthop via 10.98.0.2 dev a1 "
     "weight 2",
     "rule add pref 110 ipproto tcp dport 443 uidrange 1000-1999 table 10",
     "route add unreachable 10.5.0.0/16", "route add throw 10.6.0.0/16 table 10",
     "route add 10.6.0.0/16 via 10.98.0.2", "rule add pref 120 to 10.6.0.0/16 table 10",
     "rule add pref 130 iif b0 table 20", "route add default via 10.98.0.2 table 20"},
    {"nexthop replace id 10 group 1,4/2", "rule del pref 100",
     "rule add pref 140 from 10.99.0.1 table 30", "route add 10.8.0.0/16 via 10.99.0.2 table 30",
     "route add blackhole 10.9.0.0/16", "route add prohibit 10.4.0.0/16",
     "rule add pref 150 to 10.3.0.0/16 goto 170", "rule add pref 160 to 10.3.0.0/16 table 30",
     "rule add pref 170 to 10.3.0.0/16 table 10", "route add 10.3.0.0/16 via 10.99.0.2 table 30",
     "route add 10.3.0.0/16 via 10.98.0.2 table 10",
     "rule add pref 175 fwmark 0x100/0xff00 table 20"},
    {"route del 10.1.2.0/24 table 10", "route replace 10.0.0.0/8 via 10.98.0.2",
     "route add default via 10.99.0.2", "rule add pref 180 lookup main suppress_prefixlength 0",
     "rule add pref 190 table 20", "route add 10.1.0.0/16 via 10.99.0.2 metric 50",
     "route add 10.1.0.0/16 via 10.98.0.2 metric 20", "rule add pref 105 tos 0x10 table 30",
     "route add 10.1.0.0/16 via 10.98.0.2 table 30"},
};

// `ip route get` arguments; each maps to the API's parameters below.
const std::vector<std::string> kFlows = {
    "10.1.2.3",
    "10.1.2.3 mark 7",
    "10.1.9.3 mark 7",
    "10.1.2.3 ipproto tcp dport 443 uid 1500",
    "10.1.2.3 ipproto tcp dport 443 uid 500",
    "10.1.2.3 ipproto udp dport 443 uid 1500",
    "10.1.2.3 tos 0x10",
    "10.6.0.1",
    "10.5.0.1",
    "10.9.0.1",
    "10.4.0.1",
    "10.3.0.1",
    "10.7.0.1 from 10.98.0.2 iif b0",
    "10.8.0.1 from 10.99.0.1",
    "10.8.0.1",
    "10.99.0.7",
    "192.0.2.1",
    "192.0.2.1 mark 0x1ff",
    "10.2.0.1 mark 0x300",
};

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

std::string LookupTarget(const std::string& flow, const std::string& at) {
  static const std::map<std::string, std::string> kParam = {
      {"from", "src"},        {"iif", "iif"},     {"mark", "mark"}, {"uid", "uid"},
      {"ipproto", "ipproto"}, {"dport", "dport"}, {"tos", "tos"}};
  std::vector<std::string> w = Words(flow);
  std::string t = "/v1/sources/k/lookup?dst=" + w[0];
  for (size_t i = 1; i + 1 < w.size(); i += 2) t += "&" + kParam.at(w[i]) + "=" + w[i + 1];
  return t + "&at=" + at;
}

// A decision both sides can state: the matched route (prefix, table, sorted paths) or the
// error `ip route get` prints.
using Paths = std::set<std::tuple<std::string, std::string, int64_t>>;
struct Decision {
  std::string error;
  std::string dst, table;
  Paths paths;
  bool operator==(const Decision&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Decision& d) {
  if (!d.error.empty()) return os << "error '" << d.error << "'";
  os << d.dst << " table " << d.table << " via";
  for (const auto& [gw, dev, weight] : d.paths)
    os << " [" << gw << " " << dev << " " << weight << "]";
  return os;
}

std::string Str(const json::object& o, const char* k, const std::string& def = "") {
  const json::value* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : def;
}

Decision KernelDecision(const NetNs& ns, const std::string& flow) {
  std::string out;
  int rc = netsnap::testing::Shell(
      "ip -n " + ns.name() + " -j route get " + flow + " fibmatch 2>&1", &out);
  Decision d;
  if (rc != 0) {
    size_t colon = out.find(": ");
    d.error = out.substr(colon == std::string::npos ? 0 : colon + 2);
    while (!d.error.empty() && d.error.back() == '\n') d.error.pop_back();
    return d;
  }
  const json::value parsed = json::parse(out);
  const json::object& r = parsed.as_array().at(0).as_object();
  d.dst = Str(r, "dst");
  d.table = Str(r, "table", "main");
  if (const json::value* nhs = r.if_contains("nexthops")) {
    for (const json::value& nh : nhs->as_array()) {
      const json::object& o = nh.as_object();
      d.paths.insert({Str(o, "gateway"), Str(o, "dev"), o.at("weight").to_number<int64_t>()});
    }
  } else {
    d.paths.insert({Str(r, "gateway"), Str(r, "dev"), 1});
  }
  return d;
}

// The error text of a rejecting route type or rule action, as `ip` prints the errno.
std::string RejectError(const std::string& kind) {
  if (kind == "unreachable") return "No route to host";
  if (kind == "prohibit") return "Permission denied";
  return "Invalid argument";  // blackhole, and what else the kernel rejects with EINVAL
}

Decision ApiDecision(const json::object& a) {
  Decision d;
  const std::string outcome = Str(a, "outcome");
  if (outcome == "no_route") {
    d.error = "Network is unreachable";
  } else if (outcome == "reject_rule") {
    d.error = RejectError(Str(a.at("rule").as_object(), "action"));
  } else if (outcome == "reject_route") {
    d.error = RejectError(Str(a.at("route").as_object(), "type", "blackhole"));
  } else {
    const json::object& r = a.at("route").as_object();
    d.dst = Str(r, "dst");
    d.table = Str(a, "table");
    for (const json::value& nh : a.at("nexthops").as_array()) {
      const json::object& o = nh.as_object();
      d.paths.insert({Str(o, "gateway"), Str(o, "dev"), o.at("weight").to_number<int64_t>()});
    }
  }
  return d;
}

class LookupKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ns_.Ip("link add a1 type veth peer name b1"), 0);
    ASSERT_EQ(ns_.Ip("link set a1 up"), 0);
    ASSERT_EQ(ns_.Ip("link set b1 up"), 0);
    ASSERT_EQ(ns_.Ip("addr add 10.98.0.1/24 dev a1"), 0);
    // Forwarding and no reverse-path filter, so that `iif` look-ups answer like outputs do.
    ASSERT_EQ(ns_.Exec("sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 "
                       "net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.b0.rp_filter=0"),
              0);
    d_.Configure(KernelSource("k", ns_.path(), "include_protocol_kernel = true\nresync_s = 0"));
    ASSERT_TRUE(d_.Start());
  }

  // Captures the live state now; returns the version header it is in.
  json::object Capture() {
    HttpReply r = d_.Post("/v1/sources/k/snapshots");
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
    json::value v = r.Json();
    return v.is_object() ? v.as_object() : json::object{};
  }

  NetNs ns_;
  Snapshotd d_;
};

TEST_F(LookupKernel, EveryAnswerAtEveryStepIsTheKernels) {
  struct Moment {
    std::string time;
    int64_t version = 0;
    std::vector<Decision> kernel;
  };
  std::vector<Moment> moments;
  for (const std::vector<std::string>& step : kSteps) {
    for (const std::string& cmd : step) ASSERT_EQ(ns_.Ip(cmd), 0) << cmd;
    json::object h = Capture();
    ASSERT_TRUE(h.contains("time"));
    Moment m{Str(h, "time"), h.at("version").to_number<int64_t>(), {}};
    for (const std::string& flow : kFlows) m.kernel.push_back(KernelDecision(ns_, flow));
    moments.push_back(std::move(m));
  }
  // The steps must give the flows different answers, or the test would show little.
  std::set<std::string> seen;
  for (const Moment& m : moments) {
    for (const Decision& k : m.kernel) seen.insert(::testing::PrintToString(k));
  }
  EXPECT_GE(seen.size(), 15u);

  for (size_t i = 0; i < moments.size(); ++i) {
    for (size_t f = 0; f < kFlows.size(); ++f) {
      json::value a = d_.GetJson(LookupTarget(kFlows[f], moments[i].time));
      ASSERT_TRUE(a.is_object());
      EXPECT_EQ(a.at("version").at("version").to_number<int64_t>(), moments[i].version);
      EXPECT_EQ(ApiDecision(a.as_object()), moments[i].kernel[f])
          << "step " << i << ", ip route get " << kFlows[f] << "\n"
          << json::serialize(a);
    }
  }
}

TEST_F(LookupKernel, HeldAndCompareNameTheVersionsThatChangedTheAnswer) {
  std::vector<json::object> at;
  for (size_t i = 0; i < 3; ++i) {
    for (const std::string& cmd : kSteps[i]) ASSERT_EQ(ns_.Ip(cmd), 0) << cmd;
    at.push_back(Capture());
  }
  auto version = [](const json::value& v) { return v.at("version").to_number<int64_t>(); };
  // 10.1.2.3 with mark 7 goes to the /24 multipath route from step 1 until step 2 deletes the
  // fwmark rule.
  json::value a = d_.GetJson(LookupTarget("10.1.2.3 mark 7", Str(at[1], "time")));
  ASSERT_TRUE(a.is_object());
  const json::value& held = a.at("held");
  EXPECT_GT(version(held.at("since")), version(at[0]));
  EXPECT_LE(version(held.at("since")), version(at[1]));
  ASSERT_TRUE(held.at("until").is_object()) << json::serialize(a);
  EXPECT_GT(version(held.at("until")), version(at[1]));
  EXPECT_LE(version(held.at("until")), version(at[2]));
  EXPECT_TRUE(held.at("complete").as_bool());

  // A flow nothing touched held from the first version and still holds.
  json::value same = d_.GetJson(LookupTarget("10.99.0.7", Str(at[1], "time")));
  EXPECT_EQ(version(same.at("held").at("since")), 1);
  EXPECT_TRUE(same.at("held").at("until").is_null());

  json::value cmp = d_.GetJson(LookupTarget("10.1.2.3 mark 7", Str(at[0], "time")) +
                               "&compare=" + Str(at[2], "time"));
  ASSERT_TRUE(cmp.is_object());
  std::set<std::string> changed;
  for (const json::value& c : cmp.at("changed").as_array())
    changed.insert(std::string(c.as_string()));
  EXPECT_TRUE(changed.count("rule") && changed.count("route")) << json::serialize(cmp);
  EXPECT_EQ(version(cmp.at("compare").at("version")), version(at[2]));
}

TEST_F(LookupKernel, HistoryListsEveryChangeOfOneRouteAndTheCliShowsIt) {
  for (const std::vector<std::string>& step : kSteps) {
    for (const std::string& cmd : step) ASSERT_EQ(ns_.Ip(cmd), 0) << cmd;
    Capture();
  }
  auto changes = [&](const std::string& query) {
    json::value v = d_.GetJson("/v1/sources/k/history?" + query);
    return v.is_object() ? v.at("changes").as_array() : json::array{};
  };
  // 10.0.0.0/8 in main: added in step 0, replaced with another gateway in step 3.
  json::array main8 = changes("dst=10.0.0.0/8&table=main");
  ASSERT_EQ(main8.size(), 2u) << json::serialize(main8);
  EXPECT_EQ(main8[0].at("change"), "appeared");
  EXPECT_EQ(main8[1].at("change"), "changed");
  EXPECT_EQ(main8[1].at("before").at("gateway"), "10.99.0.2");
  EXPECT_EQ(main8[1].at("record").at("gateway"), "10.98.0.2");
  EXPECT_TRUE(main8[1].as_object().contains("actor"));
  EXPECT_LT(main8[0].at("version").to_number<int64_t>(),
            main8[1].at("version").to_number<int64_t>());
  // Without table=, every table; the multipath /24 of table 10 appeared and vanished.
  json::array mp = changes("dst=10.1.2.0/24");
  ASSERT_EQ(mp.size(), 2u) << json::serialize(mp);
  EXPECT_EQ(mp[0].at("record").at("table"), "10");
  EXPECT_EQ(mp[1].at("change"), "vanished");
  EXPECT_TRUE(mp[1].at("record").is_null());
  // since= after the last change leaves nothing.
  EXPECT_TRUE(changes("dst=10.0.0.0/8&table=main&since=now").empty());
  EXPECT_EQ(d_.Get("/v1/sources/k/history?dst=10.0.0.0/8&table=nope").status, 400);
  EXPECT_EQ(d_.Get("/v1/sources/k/history?table=main").status, 400);

  CliResult why = d_.Cli(
      {"why", "10.1.2.3", "--ipproto", "tcp", "--dport", "443", "--uid", "1500", "--at", "now"});
  EXPECT_EQ(why.exit_code, 0) << why.err;
  EXPECT_NE(why.out.find("uidrange 1000-1999"), std::string::npos) << why.out;
  EXPECT_NE(why.out.find("held since"), std::string::npos) << why.out;
  CliResult hist = d_.Cli({"history", "k", "10.0.0.0/8", "--table", "main"});
  EXPECT_EQ(hist.exit_code, 0) << hist.err;
  EXPECT_NE(hist.out.find("appeared"), std::string::npos) << hist.out;
  EXPECT_NE(hist.out.find("changed"), std::string::npos) << hist.out;
  CliResult bad = d_.Cli({"why", "10.1.2.3", "--mark", "seven"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("mark"), std::string::npos) << bad.err;
}

TEST_F(LookupKernel, BadParametersAreNamed) {
  Capture();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"dst=nowhere", "dst"},
      {"dst=10.1.2.3&mark=seven", "mark"},
      {"dst=10.1.2.3&at=yesterdayish", "at"},
      {"dst=10.1.2.3&src=2001:db8::1", "src"},
      {"dst=10.1.2.3&dport=70000", "dport"},
      {"dst=10.1.2.3&iif=a/b", "iif"},
      {"src=10.1.2.3", "dst"},
      {"dst=10.1.2.3&name=x.example", "name"},
      {"name=a..b", "name"},
      {"dst=10.1.2.3&compare=soon", "compare"}};
  for (const auto& [query, param] : bad) {
    HttpReply r = d_.Get("/v1/sources/k/lookup?" + query);
    EXPECT_EQ(r.status, 400) << query << " " << r.body;
    EXPECT_EQ(r.ErrorCode(), "invalid_argument") << query;
    json::value j = r.Json();
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_NE(std::string(j.at("error").at("message").as_string()).find(param), std::string::npos)
        << query << " " << r.body;
  }
  EXPECT_EQ(d_.Get("/v1/sources/nosuch/lookup?dst=10.1.2.3").status, 404);
  EXPECT_EQ(d_.Get("/v1/sources/k/lookup?dst=10.1.2.3&at=1970-01-02T00:00:00Z").status, 404);
}

}  // namespace
}  // namespace netsnap::e2e
