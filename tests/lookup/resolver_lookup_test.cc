// The most specific resolver rule for a name, on hand-built snapshots.
#include "lookup/resolver_lookup.h"

#include <gtest/gtest.h>

#include "netsnap/resolver.h"

namespace netsnap::lookup {
namespace {

Snapshot Rules(std::initializer_list<const char*> domains) {
  std::vector<Record> recs;
  for (const char* d : domains) {
    ResolverRule r;
    r.domain = d;
    r.targets = {{std::string("192.0.2.") + std::to_string(recs.size() + 1), 0, ""}};
    recs.push_back(r.ToRecord());
  }
  Snapshot snap;
  EXPECT_TRUE(Snapshot::FromRecords(std::move(recs), &snap).ok());
  return snap;
}

std::string Matched(const Snapshot& snap, const char* name) {
  ResolverAnswer a;
  EXPECT_TRUE(ResolverLookup(snap, name, &a).ok()) << name;
  return a.rule ? a.matched : "(none)";
}

TEST(ResolverLookup, MostSpecificDomainWins) {
  Snapshot snap = Rules({".", "corp.example", "db.corp.example", ""});
  EXPECT_EQ(Matched(snap, "db.corp.example"), "db.corp.example");
  EXPECT_EQ(Matched(snap, "x.db.corp.example"), "db.corp.example");
  EXPECT_EQ(Matched(snap, "web.corp.example"), "corp.example");
  EXPECT_EQ(Matched(snap, "WEB.Corp.Example."), "corp.example");
  EXPECT_EQ(Matched(snap, "example.org"), ".");
  EXPECT_EQ(Matched(snap, "printer"), "");  // dnsmasq's rule for unqualified names
  // A label boundary, not a string suffix.
  EXPECT_EQ(Matched(snap, "notcorp.example"), ".");
}

TEST(ResolverLookup, NoDefaultMeansNoRule) {
  EXPECT_EQ(Matched(Rules({"corp.example"}), "example.org"), "(none)");
}

TEST(ResolverLookup, BadNamesAreRefused) {
  ResolverAnswer a;
  for (const char* bad : {"", ".", "a..b", ".a"}) {
    EXPECT_TRUE(ResolverLookup(Snapshot(), bad, &a).code() == Status::Code::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(ResolverLookup(Snapshot(), std::string(300, 'a'), &a).code() ==
              Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace netsnap::lookup
