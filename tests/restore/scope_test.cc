// Scopes select records by their kind's facets: one sample record of every kind against every
// kind of scope list, and a kind unknown to the kind table, which no list selects.
#include "restore/scope.h"

#include <gtest/gtest.h>

#include <map>

#include "common/render.h"
#include "netsnap/nexthop.h"
#include "netsnap/record_kind.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"
#include "netsnap/rule.h"
#include "restore/plan.h"

namespace netsnap {
namespace {

Prefix P(const char* text) {
  Prefix p;
  EXPECT_TRUE(Prefix::Parse(text, &p).ok()) << text;
  return p;
}

// The scopes every sample is tried against, by name.
std::map<std::string, RollbackScope> Scopes() {
  std::map<std::string, RollbackScope> s;
  s["table 100"].tables = {100};
  s["table 200"].tables = {200};
  s["prefix 10.0.0.0/8"].prefixes = {P("10.0.0.0/8")};
  s["prefix 192.168.0.0/16"].prefixes = {P("192.168.0.0/16")};
  s["table 100 and prefix 10.0.0.0/8"].tables = {100};
  s["table 100 and prefix 10.0.0.0/8"].prefixes = {P("10.0.0.0/8")};
  s["domain example"].domains = {"example"};
  s["domain other.example"].domains = {"other.example"};
  s["file /etc/resolv.conf"].files = {"/etc/resolv.conf"};
  s["kind nexthop"].kinds = {RecordKind::kNexthop};
  // Every list given must match: a route is in no domain.
  s["table 100 and domain example"].tables = {100};
  s["table 100 and domain example"].domains = {"example"};
  return s;
}

struct Sample {
  Record rec;
  std::vector<std::string> selected_by;  // the names of Scopes() that select it
};

std::vector<Sample> Samples() {
  std::vector<Sample> out;
  Route route;
  route.dst = P("10.1.0.0/16");
  route.table = 100;
  out.push_back(
      {route.ToRecord(), {"table 100", "prefix 10.0.0.0/8", "table 100 and prefix 10.0.0.0/8"}});
  Rule lookup;
  lookup.table = 100;
  out.push_back({lookup.ToRecord(), {"table 100"}});  // a rule points to its table
  Rule go;
  go.priority = 5;
  go.action = 2;
  go.goto_target = 100;
  out.push_back({go.ToRecord(), {}});
  Nexthop nh;
  nh.id = 1;
  out.push_back({nh.ToRecord(), {"kind nexthop"}});
  ResolverRule rr;
  rr.domain = "corp.example";
  rr.origin = "/etc/resolv.conf";
  out.push_back({rr.ToRecord(), {"domain example"}});  // a subdomain; its file is no file scope
  ResolverSetting st;
  st.name = "search";
  st.origin = "/etc/resolv.conf";
  out.push_back({st.ToRecord(), {}});
  ConfigFile file;
  file.path = "/etc/resolv.conf";
  out.push_back({file.ToRecord(), {"file /etc/resolv.conf"}});
  return out;
}

TEST(Scope, EachKindIsSelectedByTheListsOfItsFacetsOnly) {
  const auto scopes = Scopes();
  for (const Sample& s : Samples()) {
    for (const auto& [name, scope] : scopes) {
      bool want =
          std::find(s.selected_by.begin(), s.selected_by.end(), name) != s.selected_by.end();
      EXPECT_EQ(InScope(scope, s.rec.ref()), want)
          << RecordToText(s.rec.ref()) << " in scope " << name;
    }
    EXPECT_TRUE(InScope(RollbackScope(), s.rec.ref()));  // the whole source
  }
}

TEST(Scope, AKindUnknownToTheTableIsSelectedByNoListButItsExactKey) {
  const Record rec{"\x63opaque", "value"};
  ASSERT_EQ(KindOpsOf(rec.key), nullptr);
  for (const auto& [name, scope] : Scopes()) {
    EXPECT_FALSE(InScope(scope, rec.ref())) << name;
  }
  RollbackScope all_kinds;
  for (const RecordKindOps* k : AllRecordKinds()) all_kinds.kinds.push_back(k->kind);
  EXPECT_FALSE(InScope(all_kinds, rec.ref()));
  EXPECT_TRUE(InScope(RollbackScope(), rec.ref()));  // a whole-source rollback keeps it exact
  RollbackScope by_key;
  by_key.keys = {rec.key};
  EXPECT_TRUE(InScope(by_key, rec.ref()));  // an automated restore names it exactly
}

TEST(Scope, TheGuardDoesNotCountAKindUnknownToTheTable) {
  std::vector<Record> live_recs;
  for (int i = 0; i < 20; ++i) live_recs.push_back({"\x63k" + std::to_string(100 + i), "v"});
  Snapshot live, empty;
  ASSERT_TRUE(Snapshot::FromRecords(live_recs, &live).ok());
  RollbackPlan plan = MakePlan(live, empty, {});
  EXPECT_EQ(plan.removes, 20u);
  EXPECT_TRUE(CheckBlastRadius(live, plan, GuardOptions()).ok());
}

}  // namespace
}  // namespace netsnap
