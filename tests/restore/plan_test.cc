#include "restore/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/config.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"

namespace netsnap {
namespace {

Record MakeRoute(const std::string& dst, uint32_t table, const std::string& via = "") {
  Route r;
  EXPECT_TRUE(Prefix::Parse(dst, &r.dst).ok());
  r.family = r.dst.family;
  r.table = table;
  r.dev = "a0";
  if (via.empty()) {
    r.scope = 253;
  } else {
    EXPECT_TRUE(Address::Parse(via, &r.gateway).ok());
  }
  return r.ToRecord();
}

Snapshot Snap(std::vector<Record> recs) {
  Snapshot s;
  EXPECT_TRUE(Snapshot::FromRecords(std::move(recs), &s).ok());
  return s;
}

TEST(Plan, CountsAddsRemovesAndReplaces) {
  Snapshot live =
      Snap({MakeRoute("10.1.0.0/16", 254, "10.99.0.3"), MakeRoute("10.2.0.0/16", 254, "10.99.0.3"),
            MakeRoute("10.3.0.0/16", 254, "10.99.0.3")});
  Snapshot target =
      Snap({MakeRoute("10.1.0.0/16", 254, "10.99.0.4"), MakeRoute("10.2.0.0/16", 254, "10.99.0.3"),
            MakeRoute("10.4.0.0/16", 254, "10.99.0.3")});
  RollbackPlan p = MakePlan(live, target, {});
  EXPECT_EQ(p.adds, 1u);
  EXPECT_EQ(p.removes, 1u);
  EXPECT_EQ(p.replaces, 1u);
  EXPECT_EQ(p.live_hash, live.hash());
  Snapshot out;
  ASSERT_TRUE(ApplyDelta(live, p.changes, &out).ok());
  EXPECT_EQ(out.hash(), target.hash());
}

TEST(Plan, ScopeByTableAndPrefixTouchesOnlyItsScope) {
  Snapshot live = Snap(
      {MakeRoute("10.1.0.0/16", 100, "10.99.0.3"), MakeRoute("10.1.5.0/24", 254, "10.99.0.3")});
  Snapshot target = Snap(
      {MakeRoute("10.2.0.0/16", 100, "10.99.0.3"), MakeRoute("10.9.0.0/16", 254, "10.99.0.3")});
  RollbackScope by_table;
  by_table.tables = {100};
  RollbackPlan p = MakePlan(live, target, by_table);
  EXPECT_EQ(p.adds, 1u);
  EXPECT_EQ(p.removes, 1u);
  for (const Change& c : p.changes) {
    Route r;
    std::string v = c.value ? *c.value : std::string(live.Find(c.key)->value);
    ASSERT_TRUE(Route::FromRecord({c.key, v}, &r).ok());
    EXPECT_EQ(r.table, 100u);
  }
  RollbackScope by_prefix;
  Prefix pf;
  ASSERT_TRUE(Prefix::Parse("10.1.0.0/16", &pf).ok());
  by_prefix.prefixes = {pf};
  p = MakePlan(live, target, by_prefix);
  EXPECT_EQ(p.adds, 0u);
  EXPECT_EQ(p.removes, 2u);  // both live routes lie inside 10.1.0.0/16
}

// A scope of record keys (automated restores) plans exactly what restricting both snapshots
// to those keys would, also when other lists narrow it further.
TEST(Plan, ScopeByKeysAgreesWithRestrict) {
  std::mt19937 rng(7);
  std::vector<Record> live_recs, target_recs;
  std::vector<std::string> all_keys;
  for (int i = 0; i < 2000; ++i) {
    std::string dst = "10." + std::to_string(i / 200) + "." + std::to_string(i % 200) + ".0/24";
    uint32_t table = i % 3 == 0 ? 100 : 254;
    Record a = MakeRoute(dst, table, "10.99.0.3"), b = MakeRoute(dst, table, "10.99.0.4");
    all_keys.push_back(a.key);
    switch (rng() % 4) {
      case 0:
        live_recs.push_back(a);
        break;  // removed
      case 1:
        target_recs.push_back(a);
        break;  // added
      case 2:
        live_recs.push_back(a);
        target_recs.push_back(b);
        break;  // replaced
      default:
        live_recs.push_back(a);
        target_recs.push_back(a);  // same
    }
  }
  Snapshot live = Snap(live_recs), target = Snap(target_recs);
  for (int round = 0; round < 6; ++round) {
    RollbackScope scope;
    for (const std::string& k : all_keys) {
      if (rng() % 3 == 0) scope.keys.push_back(k);
    }
    scope.keys.push_back("\x01no such key");
    std::sort(scope.keys.begin(), scope.keys.end());
    if (round % 2) scope.tables = {100};
    RollbackPlan p = MakePlan(live, target, scope);
    Delta want = ComputeDelta(Restrict(live, scope), Restrict(target, scope));
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(p.changes, want) << "round " << round;
    DiffCounts c = CountDelta(Restrict(live, scope), want);
    EXPECT_EQ(p.adds, c.added);
    EXPECT_EQ(p.removes, c.removed);
    EXPECT_EQ(p.replaces, c.changed);
  }
}

std::vector<Record> Table(uint32_t table, int n, int third_octet_base = 0) {
  std::vector<Record> recs;
  for (int i = 0; i < n; ++i) {
    int j = i + third_octet_base;
    recs.push_back(
        MakeRoute("10." + std::to_string(j / 256) + "." + std::to_string(j % 256) + ".0/24", table,
                  "10.99.0.3"));
  }
  return recs;
}

Record Rule(const std::string& domain, std::vector<std::string> servers) {
  ResolverRule r;
  r.domain = domain;
  for (const std::string& s : servers) r.targets.push_back({s, 0, ""});
  r.origin = "/etc/dnsmasq.d/servers";
  return r.ToRecord();
}

Status Guard(const std::vector<Record>& live, const std::vector<Record>& target) {
  Snapshot l = Snap(live);
  return CheckBlastRadius(l, MakePlan(l, Snap(target), {}), {});
}

TEST(Guard, ReplacingOneRogueServerWithTheTwoRulesItReplacedIsNotShrink) {
  // Live: the default server plus a rogue rule; the target has the two rules it replaced. The
  // old guard counted "1 of 2 live records removed" and refused.
  Status s = Guard({Rule(".", {"127.0.0.1"}), Rule("rogue.example", {"127.0.0.66"})},
                   {Rule(".", {"127.0.0.1"}), Rule("corp.example", {"127.0.0.2"}),
                    Rule("lab.example", {"127.0.0.2"})});
  EXPECT_TRUE(s.ok()) << s.ToString();
  // A replaced default server is not a removal of the last one.
  s = Guard({Rule(".", {"127.0.0.66"})}, {Rule(".", {"127.0.0.1"})});
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(Guard, RefusesAnEmptyTargetAShrunkenResolverAndTheLastDefaultServer) {
  std::vector<Record> rules;
  for (int i = 0; i < 40; ++i)
    rules.push_back(Rule("d" + std::to_string(i) + ".example", {"127.0.0.2"}));
  Status s = Guard(rules, {});
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("resolver rules: 40 -> 0 (it would empty resolver rules)"),
            std::string::npos)
      << s.message();
  // 40 -> 29: 11 fewer is more than 25% and at least 10.
  s = Guard(rules, std::vector<Record>(rules.begin() + 11, rules.end()));
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("resolver rules: 40 -> 29 (11 fewer, more than 25% and at least 10)"),
            std::string::npos)
      << s.message();
  // 40 -> 31 (9 fewer) is under the minimum; 12 -> 2 (10 fewer) is over both limits.
  EXPECT_TRUE(Guard(rules, std::vector<Record>(rules.begin() + 9, rules.end())).ok());
  std::vector<Record> twelve(rules.begin(), rules.begin() + 12);
  EXPECT_EQ(Guard(twelve, std::vector<Record>(twelve.begin() + 10, twelve.end())).code(),
            Status::Code::kRefused);
  // Removing the default domain's only server.
  s = Guard({Rule(".", {"127.0.0.1"}), Rule("a.example", {"127.0.0.2"})},
            {Rule("a.example", {"127.0.0.2"})});
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("last server of the default domain"), std::string::npos)
      << s.message();
}

TEST(Guard, MeasuresShrinkPerTableNotChurn) {
  std::vector<Record> live = Table(100, 1000);
  std::vector<Record> main_table = Table(254, 50);
  live.insert(live.end(), main_table.begin(), main_table.end());
  // Table 100 rolled back to 700 of its routes: refused, naming the table and its counts.
  std::vector<Record> target(live.begin() + 300, live.end());
  Status s = Guard(live, target);
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("table 100: 1000 -> 700 (300 fewer"), std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find("table main"), std::string::npos) << s.message();
  // To 1,000 entirely different routes: churn, not shrink.
  target = Table(100, 1000, 2000);
  target.insert(target.end(), main_table.begin(), main_table.end());
  s = Guard(live, target);
  EXPECT_TRUE(s.ok()) << s.ToString();
  // Removals offset by additions in the same table are not shrink either.
  target.assign(live.begin() + 300, live.end());
  std::vector<Record> more = Table(100, 300, 5000);
  target.insert(target.end(), more.begin(), more.end());
  EXPECT_TRUE(Guard(live, target).ok());
  // Shrink of one table is not offset by growth of another.
  target.assign(live.begin() + 300, live.end());
  more = Table(254, 300, 5000);
  target.insert(target.end(), more.begin(), more.end());
  EXPECT_EQ(Guard(live, target).code(), Status::Code::kRefused);
}

TEST(Guard, RefusesEmptiedTablesAndRemovedDefaultRoutes) {
  std::vector<Record> recs = Table(254, 10);
  recs.push_back(MakeRoute("10.50.0.0/16", 100, "10.99.0.3"));
  recs.push_back(MakeRoute("default", 254, "10.99.0.3"));
  recs.push_back(MakeRoute("::/0", 200, "fe80::1"));
  // Removing 4 of 13 routes in main is under the minimum of 10: allowed.
  std::vector<Record> fewer(recs.begin() + 4, recs.end());
  EXPECT_TRUE(Guard(recs, fewer).ok());
  // The only route of table 100.
  std::vector<Record> no_t100 = recs;
  no_t100.erase(no_t100.begin() + 10);
  Status s = Guard(recs, no_t100);
  EXPECT_NE(s.message().find("table 100: 1 -> 0 (it would empty table 100)"), std::string::npos)
      << s.message();
  // The default route, IPv4 in main and IPv6 in table 200.
  std::vector<Record> no_default(recs.begin(), recs.begin() + 11);
  no_default.push_back(MakeRoute("::/0", 200, "fe80::1"));
  no_default.push_back(MakeRoute("10.60.0.0/16", 200, "10.99.0.3"));
  s = Guard(recs, no_default);
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("table main: it would remove the IPv4 default route"),
            std::string::npos)
      << s.message();
  std::vector<Record> no_v6(recs.begin(), recs.begin() + 12);
  no_v6.push_back(MakeRoute("10.60.0.0/16", 200, "10.99.0.3"));
  s = Guard(recs, no_v6);
  EXPECT_NE(s.message().find("table 200: it would remove the IPv6 default route"),
            std::string::npos)
      << s.message();
  // Replacing the default route's gateway is not a removal.
  std::vector<Record> moved = recs;
  moved[11] = MakeRoute("default", 254, "10.99.0.9");
  EXPECT_TRUE(Guard(recs, moved).ok());
}

TEST(Guard, SettingsComeFromTheDaemonTableAndAreChecked) {
  DaemonConfig c;
  ASSERT_TRUE(
      ParseConfig("[daemon]\nguard_shrink_share = 0.5\nguard_min_records = 3\n", "t.toml", &c)
          .ok());
  EXPECT_EQ(c.guard_shrink_share, 0.5);
  EXPECT_EQ(c.guard_min_records, 3u);
  EXPECT_FALSE(ParseConfig("[daemon]\nguard_shrink_share = 2\n", "t.toml", &c).ok());
  EXPECT_FALSE(ParseConfig("[daemon]\nguard_min_records = -1\n", "t.toml", &c).ok());
  // With them, 40 -> 35 resolver rules (5 fewer, 12.5%) is allowed; 40 -> 19 is refused.
  std::vector<Record> rules;
  for (int i = 0; i < 40; ++i)
    rules.push_back(Rule("d" + std::to_string(i) + ".example", {"127.0.0.2"}));
  Snapshot live = Snap(rules);
  GuardOptions o{c.guard_shrink_share, c.guard_min_records};
  std::vector<Record> fewer(rules.begin() + 5, rules.end());
  EXPECT_TRUE(CheckBlastRadius(live, MakePlan(live, Snap(fewer), {}), o).ok());
  fewer.assign(rules.begin() + 21, rules.end());
  EXPECT_EQ(CheckBlastRadius(live, MakePlan(live, Snap(fewer), {}), o).code(),
            Status::Code::kRefused);
}

}  // namespace
}  // namespace netsnap
