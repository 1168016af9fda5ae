#include "restore/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

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

TEST(Guard, RefusesLargeRemovalsEmptiedTablesAndDefaultRoutes) {
  std::vector<Record> recs;
  for (int i = 0; i < 10; ++i)
    recs.push_back(MakeRoute("10.0." + std::to_string(i) + ".0/24", 254, "10.99.0.3"));
  recs.push_back(MakeRoute("10.50.0.0/16", 100, "10.99.0.3"));
  recs.push_back(MakeRoute("default", 254, "10.99.0.3"));
  Snapshot live = Snap(recs);
  // Removing 4 of 12 (33%) is over the 25% limit.
  std::vector<Record> fewer(recs.begin() + 4, recs.end());
  Status s = CheckBlastRadius(live, MakePlan(live, Snap(fewer), {}), {});
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("more than the 25% limit"), std::string::npos) << s.message();
  // Removing 2 of 12 is fine...
  std::vector<Record> two(recs.begin() + 2, recs.end());
  EXPECT_TRUE(CheckBlastRadius(live, MakePlan(live, Snap(two), {}), {}).ok());
  // ...unless one is the only route of table 100, or the default route.
  std::vector<Record> no_t100 = recs;
  no_t100.erase(no_t100.begin() + 10);
  s = CheckBlastRadius(live, MakePlan(live, Snap(no_t100), {}), {});
  EXPECT_NE(s.message().find("empty table 100"), std::string::npos) << s.message();
  std::vector<Record> no_default = recs;
  no_default.pop_back();
  s = CheckBlastRadius(live, MakePlan(live, Snap(no_default), {}), {});
  EXPECT_NE(s.message().find("default route"), std::string::npos) << s.message();
  // Replacing the default route's gateway is not a removal.
  std::vector<Record> moved = recs;
  moved.back() = MakeRoute("default", 254, "10.99.0.9");
  EXPECT_TRUE(CheckBlastRadius(live, MakePlan(live, Snap(moved), {}), {}).ok());
}

TEST(Order, ConnectedBeforeGatewayAddsBeforeRemovesRulesBetween) {
  Snapshot live = Snap({MakeRoute("10.7.0.0/16", 254, "10.99.0.3"), MakeRoute("10.8.0.0/24", 254)});
  Snapshot target =
      Snap({MakeRoute("10.5.0.0/16", 254, "10.98.0.3"), MakeRoute("10.98.0.0/24", 254)});
  RollbackPlan p = MakePlan(live, target, {});
  std::vector<Delta> phases = OrderForApply(p.changes, live);
  ASSERT_EQ(phases.size(), 4u);
  // Each phase holds exactly the one route named, added (put) or removed.
  auto is = [&](const Delta& d, bool put, const std::string& dst) {
    ASSERT_EQ(d.size(), 1u) << dst;
    const Change& c = d[0];
    Route r;
    std::string v = c.value ? *c.value : std::string(live.Find(c.key)->value);
    ASSERT_TRUE(Route::FromRecord({c.key, v}, &r).ok());
    EXPECT_EQ(c.value.has_value(), put) << dst;
    EXPECT_EQ(r.dst.ToString(), dst);
  };
  is(phases[0], true, "10.98.0.0/24");  // the connected network first
  is(phases[1], true, "10.5.0.0/16");   // then the route through a gateway on it
  is(phases[2], false, "10.7.0.0/16");  // removals last, gateway routes first
  is(phases[3], false, "10.8.0.0/24");
}

}  // namespace
}  // namespace netsnap
