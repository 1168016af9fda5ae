// The rule walk and table look-up on hand-built snapshots, one kernel behaviour per test.
#include "lookup/fib_lookup.h"

#include <gtest/gtest.h>

#include "netsnap/store.h"
#include "temp_dir.h"

namespace netsnap::lookup {
namespace {

Address Addr(const char* text) {
  Address a;
  EXPECT_TRUE(Address::Parse(text, &a).ok()) << text;
  return a;
}

Prefix Pfx(const char* text) {
  Prefix p;
  EXPECT_TRUE(Prefix::Parse(text, &p).ok()) << text;
  return p;
}

Rule TableRule(uint32_t priority, uint32_t table) {
  Rule r;
  r.priority = priority;
  r.table = table;
  return r;
}

Route Via(const char* dst, uint32_t table, const char* dev, uint32_t metric = 0) {
  Route r;
  r.dst = Pfx(dst);
  r.table = table;
  r.dev = dev;
  r.metric = metric;
  return r;
}

// A snapshot with the kernel's default rules (local 0, main 32766, default 32767) plus `more`.
class Fib {
 public:
  Fib() { rules_ = {TableRule(0, 255), TableRule(32766, 254), TableRule(32767, 253)}; }
  void Add(const Rule& r) { rules_.push_back(r); }
  void Add(const Route& r) { routes_.push_back(r); }
  void Add(const Nexthop& n) { nexthops_.push_back(n); }
  Answer Ask(const Flow& f) {
    std::vector<Record> recs;
    for (const Rule& r : rules_) recs.push_back(r.ToRecord());
    for (const Route& r : routes_) recs.push_back(r.ToRecord());
    for (const Nexthop& n : nexthops_) recs.push_back(n.ToRecord());
    Snapshot snap;
    EXPECT_TRUE(Snapshot::FromRecords(std::move(recs), &snap).ok());
    Answer a;
    Status s = FibLookup(snap, f, &a);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(FromKeyLog(snap, f).SameDecision(a)) << "the key log answers otherwise";
    return a;
  }
  Answer Ask(const char* dst) {
    Flow f;
    f.dst = Addr(dst);
    return Ask(f);
  }

 private:
  // The same question asked of a real store's key log as of a version that is neither the
  // oldest nor the latest: version 2 of empty, `snap`, empty. Every record then reads from the
  // entry of version 3, which holds its value before it.
  static Answer FromKeyLog(const Snapshot& snap, const Flow& f) {
    netsnap::testing::TempDir dir;
    std::unique_ptr<Store> store;
    StoreOptions o;
    o.path = dir.Sub("db");
    EXPECT_TRUE(Store::Open(o, &store).ok());
    VersionHeader h;
    int64_t t = 1800000000LL * 1000000000;
    for (const Snapshot* s : {&kEmpty, &snap, &kEmpty}) {
      EXPECT_TRUE(store->Commit("k", *s, nullptr, {t++, Cause::kEvent, {}, ""}, &h).ok());
    }
    KeyLogReader reader(store.get(), "k", 2);
    Answer a;
    Status s = FibLookup(&reader, f, &a);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return a;
  }
  static inline const Snapshot kEmpty;

  std::vector<Rule> rules_;
  std::vector<Route> routes_;
  std::vector<Nexthop> nexthops_;
};

std::string DevOf(const Answer& a) {
  Route r;
  if (!a.route || !Route::FromRecord(a.route->ref(), &r).ok()) return "";
  return r.dev;
}

TEST(FibLookup, LongestPrefixWinsThenLowestMetric) {
  Fib fib;
  fib.Add(Via("default", 254, "d0"));
  fib.Add(Via("10.0.0.0/8", 254, "e8"));
  fib.Add(Via("10.1.0.0/16", 254, "e16", 200));
  fib.Add(Via("10.1.0.0/16", 254, "e16low", 100));
  EXPECT_EQ(DevOf(fib.Ask("10.1.2.3")), "e16low");
  EXPECT_EQ(DevOf(fib.Ask("10.2.0.1")), "e8");
  EXPECT_EQ(DevOf(fib.Ask("192.0.2.1")), "d0");
  Answer a = fib.Ask("10.1.2.3");
  EXPECT_EQ(a.outcome, Outcome::kRoute);
  EXPECT_EQ(a.table, 254u);
  ASSERT_EQ(a.paths.size(), 1u);
  EXPECT_EQ(a.paths[0].dev, "e16low");
}

TEST(FibLookup, NoRouteWalksEveryRule) {
  Fib fib;
  Answer a = fib.Ask("10.1.2.3");
  EXPECT_EQ(a.outcome, Outcome::kNoRoute);
  ASSERT_EQ(a.walk.size(), 3u);
  for (const RuleStep& s : a.walk) EXPECT_EQ(s.what, "no_route");
}

TEST(FibLookup, SelectorsPickTheTable) {
  Fib fib;
  Rule from = TableRule(100, 10);
  from.src = Pfx("10.99.0.0/24");
  fib.Add(from);
  Rule mark = TableRule(110, 11);
  mark.fwmark = 7;
  mark.fwmask = 0xff;
  fib.Add(mark);
  Rule port = TableRule(120, 12);
  port.ip_proto = 6;
  port.dport = {440, 450};
  fib.Add(port);
  Rule uid = TableRule(130, 13);
  uid.has_uid_range = true;
  uid.uid_start = 1000;
  uid.uid_end = 1999;
  fib.Add(uid);
  Rule iif = TableRule(140, 14);
  iif.iif = "b0";
  fib.Add(iif);
  for (uint32_t t : {10u, 11u, 12u, 13u, 14u, 254u}) {
    fib.Add(Via("default", t, ("t" + std::to_string(t)).c_str()));
  }
  Flow f;
  f.dst = Addr("192.0.2.1");
  EXPECT_EQ(DevOf(fib.Ask(f)), "t254");  // no source: 0.0.0.0 matches no `from`
  f.src = Addr("10.99.0.7");
  EXPECT_EQ(DevOf(fib.Ask(f)), "t10");
  f.src = Address{};
  f.mark = 0x107;  // the mask keeps the low byte
  EXPECT_EQ(DevOf(fib.Ask(f)), "t11");
  f.mark = 0;
  f.ipproto = 6;
  f.dport = 443;
  EXPECT_EQ(DevOf(fib.Ask(f)), "t12");
  f.ipproto = 17;  // the right port with the wrong protocol
  EXPECT_EQ(DevOf(fib.Ask(f)), "t254");
  f.ipproto = 0;
  f.uid = 1500;
  EXPECT_EQ(DevOf(fib.Ask(f)), "t13");
  f.uid.reset();
  f.iif = "b0";  // forwarded: no uid, so the uid range no longer matches either way
  EXPECT_EQ(DevOf(fib.Ask(f)), "t14");
}

TEST(FibLookup, IifLoMatchesLocallyGeneratedFlows) {
  Fib fib;
  Rule lo = TableRule(100, 10);
  lo.iif = "lo";
  fib.Add(lo);
  fib.Add(Via("default", 10, "t10"));
  fib.Add(Via("default", 254, "main"));
  EXPECT_EQ(DevOf(fib.Ask("192.0.2.1")), "t10");
  Flow f;
  f.dst = Addr("192.0.2.1");
  f.iif = "b0";
  EXPECT_EQ(DevOf(fib.Ask(f)), "main");
}

TEST(FibLookup, InvertedRuleMatchesTheRest) {
  Fib fib;
  Rule r = TableRule(100, 10);
  r.dst = Pfx("10.0.0.0/8");
  r.invert = true;
  fib.Add(r);
  fib.Add(Via("default", 10, "t10"));
  fib.Add(Via("default", 254, "main"));
  EXPECT_EQ(DevOf(fib.Ask("10.1.2.3")), "main");
  EXPECT_EQ(DevOf(fib.Ask("192.0.2.1")), "t10");
}

TEST(FibLookup, ThrowContinuesWithTheNextRule) {
  Fib fib;
  fib.Add(TableRule(100, 10));
  Route thr = Via("10.1.0.0/16", 10, "");
  thr.type = 9;
  fib.Add(thr);
  fib.Add(Via("10.0.0.0/8", 10, "t10"));
  fib.Add(Via("10.0.0.0/8", 254, "main"));
  Answer a = fib.Ask("10.1.2.3");
  EXPECT_EQ(DevOf(a), "main");
  ASSERT_GE(a.walk.size(), 2u);
  EXPECT_EQ(a.walk[1].what, "throw");
  EXPECT_EQ(DevOf(fib.Ask("10.2.0.1")), "t10");
}

TEST(FibLookup, RejectRoutesAndRuleActionsStopTheWalk) {
  Fib fib;
  Route un = Via("10.1.0.0/16", 254, "");
  un.type = 7;
  fib.Add(un);
  fib.Add(Via("10.0.0.0/8", 254, "main"));
  fib.Add(Via("10.0.0.0/8", 253, "dflt"));
  Answer a = fib.Ask("10.1.2.3");
  EXPECT_EQ(a.outcome, Outcome::kRejectRoute);
  Route r;
  ASSERT_TRUE(Route::FromRecord(a.route->ref(), &r).ok());
  EXPECT_EQ(r.type, 7);

  Rule bh = TableRule(50, 0);
  bh.action = 6;
  bh.dst = Pfx("10.2.0.0/16");
  fib.Add(bh);
  a = fib.Ask("10.2.0.1");
  EXPECT_EQ(a.outcome, Outcome::kRejectRule);
  EXPECT_FALSE(a.route);
}

TEST(FibLookup, GotoSkipsToItsTargetAndNopPasses) {
  Fib fib;
  Rule go = TableRule(100, 0);
  go.action = 2;
  go.goto_target = 300;
  fib.Add(go);
  fib.Add(TableRule(200, 20));  // jumped over
  Rule nop = TableRule(300, 0);
  nop.action = 3;
  fib.Add(nop);
  fib.Add(TableRule(310, 31));
  fib.Add(Via("default", 20, "t20"));
  fib.Add(Via("default", 31, "t31"));
  Answer a = fib.Ask("192.0.2.1");
  EXPECT_EQ(DevOf(a), "t31");
  std::vector<std::string> what;
  for (const RuleStep& s : a.walk) what.push_back(s.what);
  EXPECT_EQ(what, (std::vector<std::string>{"no_route", "goto", "nop", "chosen"}));
}

TEST(FibLookup, SuppressPrefixLengthSkipsShortMatches) {
  Fib fib;
  Rule main = TableRule(100, 254);
  main.suppress_prefixlen = 0;  // "lookup main suppress_prefixlength 0": ignore default routes
  fib.Add(main);
  fib.Add(TableRule(200, 20));
  fib.Add(Via("default", 254, "main"));
  fib.Add(Via("10.0.0.0/8", 254, "main8"));
  fib.Add(Via("default", 20, "vpn"));
  EXPECT_EQ(DevOf(fib.Ask("192.0.2.1")), "vpn");
  EXPECT_EQ(DevOf(fib.Ask("10.1.2.3")), "main8");
}

TEST(FibLookup, TosRoutesComeFirstAndFallBack) {
  Fib fib;
  Route tos = Via("10.0.0.0/8", 254, "tos");
  tos.tos = 0x10;
  fib.Add(tos);
  fib.Add(Via("10.0.0.0/8", 254, "plain", 500));
  Flow f;
  f.dst = Addr("10.1.2.3");
  EXPECT_EQ(DevOf(fib.Ask(f)), "plain");
  f.tos = 0x10;
  EXPECT_EQ(DevOf(fib.Ask(f)), "tos");
}

TEST(FibLookup, OifSkipsRoutesThatDoNotLeaveThere) {
  Fib fib;
  fib.Add(Via("10.1.0.0/16", 254, "a0"));
  fib.Add(Via("10.0.0.0/8", 254, "b0"));
  Flow f;
  f.dst = Addr("10.1.2.3");
  f.oif = "b0";
  EXPECT_EQ(DevOf(fib.Ask(f)), "b0");
}

TEST(FibLookup, NexthopGroupsResolveToTheirMembers) {
  Fib fib;
  Nexthop a, b, g, bh;
  a.id = 1;
  a.family = 2;
  a.gateway = Addr("10.99.0.2");
  a.dev = "a0";
  b.id = 2;
  b.family = 2;
  b.gateway = Addr("10.98.0.2");
  b.dev = "a1";
  g.id = 10;
  g.group = {{1, 1}, {2, 3}};
  bh.id = 20;
  bh.blackhole = true;
  for (const Nexthop& n : {a, b, g, bh}) fib.Add(n);
  Route r = Via("10.1.0.0/16", 254, "");
  r.nhid = 10;
  fib.Add(r);
  Route dead = Via("10.2.0.0/16", 254, "");
  dead.nhid = 20;
  fib.Add(dead);
  Answer ans = fib.Ask("10.1.2.3");
  ASSERT_EQ(ans.paths.size(), 2u);
  EXPECT_EQ(ans.paths[0], (Path{Addr("10.99.0.2"), "a0", 1, 1, 10}));
  EXPECT_EQ(ans.paths[1], (Path{Addr("10.98.0.2"), "a1", 3, 2, 10}));
  EXPECT_EQ(fib.Ask("10.2.0.1").outcome, Outcome::kRejectRoute);
}

TEST(FibLookup, MultipathListsEveryPath) {
  Fib fib;
  Route r = Via("10.1.0.0/16", 254, "");
  r.nexthops = {{Addr("10.99.0.2"), "a0", 1, 0}, {Addr("10.98.0.2"), "a1", 2, 0}};
  fib.Add(r);
  Answer a = fib.Ask("10.1.2.3");
  ASSERT_EQ(a.paths.size(), 2u);
  EXPECT_EQ(a.paths[1].weight, 2);
}

TEST(FibLookup, Ipv6UsesItsOwnRules) {
  Fib fib;
  Rule r6 = TableRule(32766, 254);
  r6.family = 10;
  fib.Add(r6);
  Route r = Via("2001:db8::/32", 254, "v6");
  r.family = 10;
  fib.Add(r);
  EXPECT_EQ(DevOf(fib.Ask("2001:db8::1")), "v6");
  EXPECT_EQ(fib.Ask("2001:db9::1").outcome, Outcome::kNoRoute);
}

TEST(FibLookup, SourceOfAnotherFamilyIsRefused) {
  Snapshot snap;
  Flow f;
  f.dst = Addr("10.1.2.3");
  f.src = Addr("2001:db8::1");
  Answer a;
  EXPECT_TRUE(FibLookup(snap, f, &a).code() == Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace netsnap::lookup
