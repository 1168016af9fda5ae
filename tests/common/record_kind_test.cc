// The record kind table: every kind has a descriptor whose name round-trips, each kind's facets
// are what scopes, the guard and the detectors match on, and a kind the table does not know is
// opaque (hex, no facets) rather than a crash.
#include "netsnap/record_kind.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "common/render.h"
#include "netsnap/nexthop.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"
#include "netsnap/rule.h"

namespace netsnap {
namespace {

// Every value of RecordKind with its name as the API and scopes spell it. A kind added to the
// enum without a line in AllRecordKinds() fails below when it is added here too.
const std::pair<RecordKind, std::string_view> kNames[] = {
    {RecordKind::kRoute, "route"},
    {RecordKind::kRule, "rule"},
    {RecordKind::kNexthop, "nexthop"},
    {RecordKind::kResolverRule, "resolver_rule"},
    {RecordKind::kResolverSetting, "resolver_setting"},
    {RecordKind::kFile, "file"},
};

TEST(RecordKinds, EveryKindHasADescriptorWhoseNameRoundTrips) {
  ASSERT_EQ(AllRecordKinds().size(), std::size(kNames));
  for (const auto& [kind, name] : kNames) {
    const RecordKindOps* ops = FindRecordKind(kind);
    ASSERT_NE(ops, nullptr) << name;
    EXPECT_EQ(ops->kind, kind);
    EXPECT_EQ(ops->name, name);
    EXPECT_NE(ops->render, nullptr) << name;
    EXPECT_NE(ops->describe_change, nullptr) << name;
    EXPECT_EQ(RecordKindName(kind), name);
    EXPECT_EQ(RecordKindFromName(name), kind);
  }
}

TEST(RecordKinds, TableIsInValueOrderWithUniqueNames) {
  std::set<std::string_view> names;
  int last = 0;
  for (const RecordKindOps* ops : AllRecordKinds()) {
    EXPECT_GT(static_cast<int>(ops->kind), last) << ops->name;
    last = static_cast<int>(ops->kind);
    EXPECT_TRUE(names.insert(ops->name).second) << ops->name;
    EXPECT_EQ(FindRecordKind(ops->kind), ops);
  }
  EXPECT_FALSE(RecordKindFromName("unknown").has_value());
  EXPECT_FALSE(RecordKindFromName("").has_value());
  EXPECT_FALSE(RecordKindFromName("Route").has_value());
}

Route SampleRoute(const char* dst, uint32_t table) {
  Route r;
  EXPECT_TRUE(Prefix::Parse(dst, &r.dst).ok());
  r.family = r.dst.family;
  r.table = table;
  r.protocol = 186;  // bgp
  EXPECT_TRUE(Address::Parse("192.0.2.1", &r.gateway).ok());
  r.dev = "eth0";
  return r;
}

ResolverRule SampleResolverRule() {
  ResolverRule r;
  r.domain = "corp.example";
  r.targets = {{"10.0.0.2", 0, ""}};
  r.origin = "/etc/dnsmasq.d/vpn.conf";
  return r;
}

// One sample record of each kind and the facets, group and origin the layers above expect.
struct Expected {
  Record rec;
  RecordFacets facets;
  std::string_view group;
  std::optional<uint32_t> table_of_key;
  std::string origin_key;
};

std::vector<Expected> Samples() {
  std::vector<Expected> out;
  {
    Route r = SampleRoute("10.1.0.0/16", 100);
    RecordFacets f;
    f.table = 100;
    f.destination = r.dst;
    f.owner_protocol = 186;
    out.push_back({r.ToRecord(), f, "routes", 100, ""});
  }
  {
    Route r = SampleRoute("default", 254);
    RecordFacets f;
    f.table = 254;
    f.destination = r.dst;
    f.default_route = true;
    f.owner_protocol = 186;
    out.push_back({r.ToRecord(), f, "routes", 254, ""});
  }
  {
    Rule r;
    r.priority = 100;
    r.table = 100;  // action lookup
    r.protocol = 186;
    RecordFacets f;
    f.lookup_table = 100;  // and no owner: rules have none
    out.push_back({r.ToRecord(), f, "rules", std::nullopt, ""});
  }
  {
    Rule r;
    r.priority = 200;
    r.action = 2;  // goto: points to no table
    r.goto_target = 300;
    out.push_back({r.ToRecord(), RecordFacets(), "rules", std::nullopt, ""});
  }
  {
    Nexthop nh;
    nh.id = 7;
    nh.protocol = 186;
    RecordFacets f;
    f.owner_protocol = 186;
    out.push_back({nh.ToRecord(), f, "next-hop objects", std::nullopt, ""});
  }
  {
    ResolverRule r = SampleResolverRule();
    RecordFacets f;
    f.domain = "corp.example";
    f.servers = 1;
    out.push_back({r.ToRecord(), f, "resolver rules", std::nullopt,
                   ConfigFile::KeyFor("/etc/dnsmasq.d/vpn.conf")});
  }
  {
    ResolverSetting s;
    s.name = "search";
    s.values = {"corp.example"};
    s.origin = "/etc/resolv.conf";
    out.push_back(
        {s.ToRecord(), RecordFacets(), "", std::nullopt, ConfigFile::KeyFor("/etc/resolv.conf")});
  }
  {
    ConfigFile file;
    file.path = "/etc/resolv.conf";
    file.has_content = true;
    file.content = "nameserver 10.0.0.1\n";
    RecordFacets f;
    f.path = "/etc/resolv.conf";
    out.push_back({file.ToRecord(), f, "resolver files", std::nullopt, ""});
  }
  return out;
}

TEST(RecordKinds, EachKindsFacetsAreWhatScopesAndDetectorsMatchOn) {
  std::set<RecordKind> covered;
  for (const Expected& e : Samples()) {
    SCOPED_TRACE(RecordToText(e.rec.ref()));
    const RecordKindOps* ops = KindOpsOf(e.rec.key);
    ASSERT_NE(ops, nullptr);
    covered.insert(ops->kind);
    RecordFacets f = FacetsOf(e.rec.ref());
    EXPECT_EQ(f.table, e.facets.table);
    EXPECT_EQ(f.lookup_table, e.facets.lookup_table);
    EXPECT_EQ(f.destination.has_value(), e.facets.destination.has_value());
    if (f.destination && e.facets.destination) {
      EXPECT_EQ(*f.destination, *e.facets.destination);
    }
    EXPECT_EQ(f.default_route, e.facets.default_route);
    EXPECT_EQ(f.owner_protocol, e.facets.owner_protocol);
    EXPECT_EQ(f.domain, e.facets.domain);
    EXPECT_EQ(f.servers, e.facets.servers);
    EXPECT_EQ(f.path, e.facets.path);
    EXPECT_EQ(ops->group, e.group);
    uint32_t table = 0;
    bool in_table = TableOfKey(e.rec.key, &table);
    EXPECT_EQ(in_table ? std::optional<uint32_t>(table) : std::nullopt, e.table_of_key);
    EXPECT_EQ(in_table ? std::optional<uint32_t>(table) : std::nullopt, f.table);  // they agree
    EXPECT_EQ(OriginKeyOf(e.rec.ref()), e.origin_key);
    // Equal values are no change for any kind that looks at values at all.
    std::string same = ops->describe_change(e.rec.key, e.rec.value, e.rec.value);
    if (ops->kind != RecordKind::kNexthop && ops->kind != RecordKind::kResolverSetting) {
      EXPECT_EQ(same, "");
    }
  }
  EXPECT_EQ(covered.size(), AllRecordKinds().size()) << "a kind without a sample";
}

TEST(RecordKinds, ARecordThatDoesNotDecodeHasNoFacetsButKeepsWhatItsKeySays) {
  Record route = SampleRoute("10.1.0.0/16", 100).ToRecord();
  RecordFacets f = FacetsOf({route.key, "garbage"});
  EXPECT_FALSE(f.table || f.destination || f.owner_protocol);
  uint32_t table = 0;
  EXPECT_TRUE(TableOfKey(route.key, &table));  // the key alone still names its table
  EXPECT_EQ(table, 100u);
  // A resolver rule's domain is its key: a scope by domain still finds a damaged one.
  Record rule = SampleResolverRule().ToRecord();
  EXPECT_EQ(FacetsOf({rule.key, "garbage"}).domain, "corp.example");
  EXPECT_EQ(OriginKeyOf({rule.key, "garbage"}), "");
  // And a file's path is its key: a plan finds the files rules come from by key alone.
  EXPECT_EQ(FacetsOf({ConfigFile::KeyFor("/etc/x.conf"), ""}).path, "/etc/x.conf");
}

TEST(RecordKinds, DescribeChangeNamesWhatMattersAndIgnoresKernelState) {
  Route a = SampleRoute("10.1.0.0/16", 100), b = a;
  const RecordKindOps& route = *FindRecordKind(RecordKind::kRoute);
  b.flags = 16;  // linkdown: the kernel's
  EXPECT_EQ(route.describe_change(a.Key(), a.ToRecord().value, b.ToRecord().value), "");
  b.gateway.addr[3] = 9;
  EXPECT_EQ(route.describe_change(a.Key(), a.ToRecord().value, b.ToRecord().value),
            "next hop changed");
  EXPECT_EQ(route.describe_change(a.Key(), a.ToRecord().value, "garbage"), "route changed");

  Rule r;
  r.table = 100;
  Rule s = r;
  s.table = 200;
  const RecordKindOps& rule = *FindRecordKind(RecordKind::kRule);
  EXPECT_EQ(rule.describe_change(r.Key(), r.ToRecord().value, s.ToRecord().value),
            "rule points elsewhere");

  ConfigFile f;
  f.path = "/etc/resolv.conf";
  f.has_content = true;
  f.content = "nameserver 10.0.0.1\n";
  ConfigFile g = f;
  g.mode = 0600;
  const RecordKindOps& file = *FindRecordKind(RecordKind::kFile);
  EXPECT_EQ(file.describe_change(f.Key(), f.ToRecord().value, g.ToRecord().value),
            "file mode or owner changed");
}

TEST(RecordKinds, AKindUnknownToTheTableIsOpaque) {
  const Record rec{"\x63some key", "\x01value"};
  EXPECT_EQ(KindOpsOf(rec.key), nullptr);
  EXPECT_EQ(RecordKindName(KindOfKey(rec.key)), "unknown");
  RecordFacets f = FacetsOf(rec.ref());
  EXPECT_FALSE(f.table || f.lookup_table || f.destination || f.default_route || f.owner_protocol ||
               f.domain || f.path);
  uint32_t table = 0;
  EXPECT_FALSE(TableOfKey(rec.key, &table));
  EXPECT_EQ(OriginKeyOf(rec.ref()), "");
  EXPECT_EQ(RecordToText(rec.ref()), "unknown 63736f6d65206b6579 0176616c7565");
  boost::json::object o = RecordToJson(rec.ref());
  EXPECT_EQ(o["kind"], "unknown");
  EXPECT_EQ(o["key_hex"], "63736f6d65206b6579");
  EXPECT_EQ(RecordKeyToJson(rec.ref())["value_hex"], "0176616c7565");
  std::string appended;
  AppendRecordJson(rec.ref(), &appended);
  EXPECT_EQ(appended, boost::json::serialize(o));
  // An empty key is no kind either.
  EXPECT_EQ(KindOpsOf(""), nullptr);
  EXPECT_FALSE(TableOfKey("", &table));
}

TEST(RecordKinds, DomainsMatchThemselvesAndTheirSubdomainsOnly) {
  const std::vector<std::string> corp = {"corp.example"};
  EXPECT_TRUE(InDomains("corp.example", corp));
  EXPECT_TRUE(InDomains("a.corp.example", corp));
  EXPECT_FALSE(InDomains("xcorp.example", corp));
  EXPECT_FALSE(InDomains("example", corp));
  EXPECT_FALSE(InDomains("corp.example", {}));
}

}  // namespace
}  // namespace netsnap
