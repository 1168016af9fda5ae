// Each detector on synthetic snapshots.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "synthetic.h"

namespace netsnap::testing {
namespace {

std::vector<Record> Without(std::vector<Record> recs, size_t from, size_t count) {
  recs.erase(recs.begin() + static_cast<long>(from),
             recs.begin() + static_cast<long>(from + count));
  return recs;
}

TEST(MassDeletion, ShareOfTableRemovedAtOnce) {
  Harness h;
  auto recs = RecordsOf(MakeRoutes(100, 100));
  h.Commit(SnapshotOf(recs), 0);
  auto f = OfKind(h.Commit(SnapshotOf(Without(recs, 0, 25)), 1000), "mass_deletion");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].restore_keys.size(), 25u);
  EXPECT_EQ(f[0].before_version, 1u);
  EXPECT_EQ(f[0].after_version, 2u);
  EXPECT_EQ(f[0].actor.pid, 4242);
  EXPECT_EQ(f[0].details.at("table").as_string(), "100");
}

TEST(MassDeletion, SmallDeletionIsNotMass) {
  Harness h;
  auto recs = RecordsOf(MakeRoutes(254, 100));
  h.Commit(SnapshotOf(recs), 0);
  EXPECT_TRUE(h.Commit(SnapshotOf(Without(recs, 0, 5)), 1000).empty());
}

TEST(MassDeletion, MinimumRecords) {
  Harness h;
  auto recs = RecordsOf(MakeRoutes(254, 20));
  h.Commit(SnapshotOf(recs), 0);
  // 8 of 20 is 40%, but fewer than mass_min_records (10).
  EXPECT_TRUE(OfKind(h.Commit(SnapshotOf(Without(recs, 0, 8)), 1000), "mass_deletion").empty());
}

TEST(MassDeletion, AddsUpOverTheWindowAndReportsEachRecordOnce) {
  Harness h;
  auto recs = RecordsOf(MakeRoutes(254, 100));
  h.Commit(SnapshotOf(recs), 0);
  EXPECT_TRUE(h.Commit(SnapshotOf(Without(recs, 0, 15)), 1000).empty());
  auto f = OfKind(h.Commit(SnapshotOf(Without(recs, 0, 25)), 2000), "mass_deletion");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].restore_keys.size(), 25u);
  EXPECT_EQ(f[0].before_version, 1u);  // the version before the first removal of the burst
  f = OfKind(h.Commit(SnapshotOf(Without(recs, 0, 30)), 3000), "mass_deletion");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].restore_keys.size(), 5u);  // only the new removals
}

TEST(MassDeletion, OutsideTheWindowDoesNotAddUp) {
  Harness h;
  auto recs = RecordsOf(MakeRoutes(254, 100));
  h.Commit(SnapshotOf(recs), 0);
  EXPECT_TRUE(h.Commit(SnapshotOf(Without(recs, 0, 15)), 1000).empty());
  EXPECT_TRUE(h.Commit(SnapshotOf(Without(recs, 0, 25)), 20000).empty());
}

TEST(MassDeletion, TableEmptied) {
  Harness h;
  auto main = RecordsOf(MakeRoutes(254, 50));
  auto t7 = RecordsOf(MakeRoutes(7, 3));
  auto all = main;
  all.insert(all.end(), t7.begin(), t7.end());
  h.Commit(SnapshotOf(all), 0);
  auto f = OfKind(h.Commit(SnapshotOf(main), 1000), "mass_deletion");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].details.at("emptied").as_bool());
  EXPECT_EQ(f[0].restore_keys.size(), 3u);
}

TEST(MassDeletion, RecordCapAcrossKinds) {
  Harness h;
  h.policy.mass_max_records = 4;
  auto recs = RecordsOf(MakeRoutes(254, 100));
  h.Commit(SnapshotOf(recs), 0);
  auto f = OfKind(h.Commit(SnapshotOf(Without(recs, 0, 5)), 1000), "mass_deletion");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].restore_keys.size(), 5u);
}

TEST(Protected, DefaultRouteReplaced) {
  Harness h;
  auto recs = RecordsOf(MakeRoutes(254, 10));
  recs.push_back(MakeRoute("default", 254, "10.99.0.2").ToRecord());
  h.Commit(SnapshotOf(recs), 0);
  recs.back() = MakeRoute("default", 254, "10.99.0.3").ToRecord();
  auto all = h.Commit(SnapshotOf(recs), 1000);
  auto f = OfKind(all, "protected");
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0].restore_keys.size(), 1u);
  EXPECT_EQ(f[0].restore_keys[0], recs.back().key);
  EXPECT_EQ(OfKind(all, "overwrite").size(), 1u);  // another gateway is an overwrite too
}

TEST(Protected, DefaultRouteRemovedAndOptOut) {
  for (bool protect : {true, false}) {
    Harness h;
    h.policy.protect_default_routes = protect;
    auto recs = RecordsOf(MakeRoutes(254, 10));
    recs.push_back(MakeRoute("::/0", 254, "fd00:99::2").ToRecord());
    h.Commit(SnapshotOf(recs), 0);
    recs.pop_back();
    EXPECT_EQ(OfKind(h.Commit(SnapshotOf(recs), 1000), "protected").size(), protect ? 1u : 0u);
  }
}

TEST(Protected, PrefixesAndTables) {
  Harness h;
  Prefix p;
  ASSERT_TRUE(Prefix::Parse("10.254.0.0/16", &p).ok());
  h.policy.protected_prefixes = {p};
  h.policy.protected_tables = {7};
  auto main = RecordsOf(MakeRoutes(254, 10));  // 10.4.i.0/24: 254 % 250 = 4
  auto covered = MakeRoute("10.254.3.0/24").ToRecord();
  auto t7 = RecordsOf(MakeRoutes(7, 5));
  auto all = main;
  all.push_back(covered);
  all.insert(all.end(), t7.begin(), t7.end());
  h.Commit(SnapshotOf(all), 0);
  // Remove the covered route, one route of table 7 and one unprotected route.
  std::vector<Record> next;
  for (const Record& r : all) {
    if (r.key != covered.key && r.key != t7[0].key && r.key != main[0].key) next.push_back(r);
  }
  auto f = OfKind(h.Commit(SnapshotOf(next), 1000), "protected");
  ASSERT_EQ(f.size(), 1u);
  std::vector<std::string> want = {covered.key, t7[0].key};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(f[0].restore_keys, want);
}

TEST(Protected, ResolverDomainRestoresItsFile) {
  Harness h;
  h.policy.protected_domains = {"corp.example"};
  ResolverRule rule;
  rule.domain = "eu.corp.example";
  rule.targets = {{"10.1.2.3", 0, ""}};
  rule.origin = "/tmp/x/dnsmasq.conf";
  ConfigFile file;
  file.path = rule.origin;
  file.has_content = true;
  file.content = "server=/eu.corp.example/10.1.2.3\n";
  h.Commit(SnapshotOf({rule.ToRecord(), file.ToRecord()}), 0);
  file.content = "";
  auto f = OfKind(h.Commit(SnapshotOf({file.ToRecord()}), 1000), "protected");
  ASSERT_EQ(f.size(), 1u);
  std::vector<std::string> want = {rule.Key(), file.Key()};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(f[0].restore_keys, want);
}

TEST(Overwrite, GatewayProtocolAndFlags) {
  Harness h;
  h.policy.protect_default_routes = false;
  auto routes = MakeRoutes(254, 4);
  h.Commit(SnapshotOf(RecordsOf(routes)), 0);
  auto next = routes;
  next[0].gateway.addr[3] = 9;  // other gateway
  next[1].protocol = 12;        // other protocol
  next[2].flags = 16;           // linkdown: kernel state, not an overwrite
  auto all = h.Commit(SnapshotOf(RecordsOf(next)), 1000);
  auto f = OfKind(all, "overwrite");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].records.size(), 2u);
  EXPECT_EQ(f[0].restore_keys.size(), 2u);
  EXPECT_NE(f[0].summary.find("ip (pid 4242)"), std::string::npos) << f[0].summary;
  boost::json::object j = FindingToJson(f[0]);
  EXPECT_EQ(j["counts"].as_object()["changed"].as_uint64(), 2u);
  EXPECT_TRUE(j["records"].as_array()[0].as_object().contains("previous"));
  EXPECT_EQ(j["actor"].as_object()["process"].as_string(), "ip");
}

TEST(Overwrite, ResolverFileRewritten) {
  Harness h;
  h.actor = Actor{777, "sed", "sed -i s/a/b/ /etc/resolv.conf"};
  ConfigFile file;
  file.path = "/tmp/x/resolv.conf";
  file.has_content = true;
  file.content = "nameserver 10.0.0.1\n";
  h.Commit(SnapshotOf({file.ToRecord()}), 0);
  file.content = "nameserver 10.6.6.6\n";
  auto f = OfKind(h.Commit(SnapshotOf({file.ToRecord()}), 1000), "overwrite");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].restore_keys, std::vector<std::string>{file.Key()});
  EXPECT_EQ(f[0].actor.pid, 777);
}

// Records of a kind the kind table does not know (from a newer version, or damage) are opaque:
// changing or removing them is no overwrite and nothing protected, whatever the policy.
TEST(UnknownKind, ChangedAndRemovedRecordsAreNoDamage) {
  Harness h;
  h.policy.protect_default_routes = true;
  h.policy.protected_tables = {0, 100, 254};
  h.policy.protected_prefixes = {MakeRoute("default").dst};
  h.policy.protected_domains = {""};
  std::vector<Record> recs;
  for (int i = 0; i < 20; ++i) recs.push_back({"\x63k" + std::to_string(100 + i), "v1"});
  h.Commit(SnapshotOf(recs), 0);
  recs.resize(10);                        // ten removed
  for (Record& r : recs) r.value = "v2";  // ten changed
  auto all = h.Commit(SnapshotOf(recs), 1000);
  EXPECT_TRUE(OfKind(all, "overwrite").empty());
  EXPECT_TRUE(OfKind(all, "protected").empty());
  EXPECT_TRUE(OfKind(all, "orphaned_rule").empty());
}

TEST(OrphanedRules, RuleToEmptiedTable) {
  Harness h;
  auto main = RecordsOf(MakeRoutes(254, 50));
  auto t100 = RecordsOf(MakeRoutes(100, 3));
  auto rule = MakeLookupRule(1000, 100).ToRecord();
  auto all = main;
  all.insert(all.end(), t100.begin(), t100.end());
  all.push_back(rule);
  h.Commit(SnapshotOf(all), 0);
  auto next = main;
  next.push_back(rule);
  auto f = OfKind(h.Commit(SnapshotOf(next), 1000), "orphaned_rule");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].restore_keys.size(), 3u);
  EXPECT_EQ(f[0].records.size(), 4u);  // the rule and the three routes
  boost::json::object j = FindingToJson(f[0]);
  EXPECT_EQ(j["counts"].as_object()["unchanged"].as_uint64(), 1u);
}

TEST(OrphanedRules, NoRuleNoFinding) {
  Harness h;
  auto main = RecordsOf(MakeRoutes(254, 50));
  auto t100 = RecordsOf(MakeRoutes(100, 3));
  auto all = main;
  all.insert(all.end(), t100.begin(), t100.end());
  h.Commit(SnapshotOf(all), 0);
  EXPECT_TRUE(OfKind(h.Commit(SnapshotOf(main), 1000), "orphaned_rule").empty());
}

TEST(EditWar, FlippingBetweenTwoValues) {
  Harness h;
  h.policy.protect_default_routes = false;
  h.policy.detectors = {"edit_war"};
  auto a = MakeRoute("10.7.0.0/16", 254, "10.99.0.2");
  auto b = MakeRoute("10.7.0.0/16", 254, "10.99.0.3");
  auto base = RecordsOf(MakeRoutes(254, 10));
  auto with = [&](const Route& r) {
    auto v = base;
    v.push_back(r.ToRecord());
    return SnapshotOf(v);
  };
  h.Commit(with(a), 0);
  EXPECT_TRUE(h.Commit(with(b), 1000).empty());
  EXPECT_TRUE(h.Commit(with(a), 2000).empty());
  EXPECT_TRUE(h.Commit(with(b), 3000).empty());
  auto f = h.Commit(with(a), 4000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, "edit_war");
  EXPECT_TRUE(f[0].restore_keys.empty());        // alert only
  EXPECT_TRUE(h.Commit(with(b), 5000).empty());  // reported once per war
}

TEST(EditWar, SlowChangesAreNoWar) {
  Harness h;
  h.policy.detectors = {"edit_war"};
  auto a = MakeRoute("10.7.0.0/16", 254, "10.99.0.2");
  auto b = MakeRoute("10.7.0.0/16", 254, "10.99.0.3");
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(h.Commit(SnapshotOf({(i % 2 ? b : a).ToRecord()}), i * 40000LL).empty());
  }
}

TEST(Legitimate, SmallChangesFindNothing) {
  Harness h;
  auto recs = RecordsOf(MakeRoutes(254, 100));
  recs.push_back(MakeRoute("default").ToRecord());
  h.Commit(SnapshotOf(recs), 0);
  auto next = Without(recs, 3, 2);                       // two routes go
  next.push_back(MakeRoute("192.0.2.0/24").ToRecord());  // one comes
  EXPECT_TRUE(h.Commit(SnapshotOf(next), 1000).empty());
}

TEST(FindingJson, RecordsCappedWithCounts) {
  Finding f;
  f.kind = "mass_deletion";
  for (const Record& r : RecordsOf(MakeRoutes(254, 150))) f.records.push_back({r.key, r.value, {}});
  boost::json::object j = FindingToJson(f);
  EXPECT_EQ(j["records"].as_array().size(), kMaxEventRecords);
  EXPECT_TRUE(j["truncated"].as_bool());
  EXPECT_EQ(j["counts"].as_object()["removed"].as_uint64(), 150u);
  EXPECT_EQ(j["records"].as_array()[0].as_object()["change"].as_string(), "removed");
}

}  // namespace
}  // namespace netsnap::testing
