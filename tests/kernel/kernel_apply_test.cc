// Apply round trip: changing a namespace back to a captured state gives that state again.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/render.h"
#include "kernel_test_util.h"
#include "netsnap/nexthop.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"
#include "netsnap/rule.h"

namespace netsnap::testing {
namespace {

std::string Failures(const ApplyResult& r) {
  std::string s;
  for (const ApplyFailure& f : r.failures) s += RecordToText({f.key, ""}) + ": " + f.message + "\n";
  return s;
}

TEST(KernelApply, RoundTripRestoresCapturedState) {
  NetNs ns;
  ASSERT_EQ(IpBatchLines(ns,
                         {
                             "nexthop add id 1 via 10.99.0.3 dev a0",
                             "nexthop add id 2 via 10.99.0.4 dev a0",
                             "nexthop add id 10 group 1/2,3",
                             "route add 10.6.0.0/16 nhid 10",
                             "route add 10.1.0.0/16 via 10.99.0.3 metric 10",
                             "route add 10.7.0.0/16 via 10.99.0.3 src 10.99.0.1 mtu 1400",
                             "route add 10.2.0.0/16 table 100 nexthop via 10.99.0.3 weight 2 "
                             "nexthop via 10.99.0.4 dev b0",
                             "route add blackhole 10.3.0.0/16 table 200",
                             "route add 2001:db8::/32 via fd00:99::5",
                             "route add 2001:db9::/32 nexthop via fd00:99::5 dev a0 "
                             "nexthop via fd00:99::6 dev a0",
                             "rule add from 10.0.0.0/8 fwmark 0x5/0xff iif a0 table 100 pref 100",
                             "rule add not from 1.2.3.4 goto 32766 pref 101",
                             "-6 rule add from 2001:db8::/32 table 100 pref 200",
                         }),
            0);
  std::unique_ptr<Source> src;
  ASSERT_TRUE(MakeKernelSource("netns = \"" + ns.name() + "\"", &src).ok());
  Snapshot before;
  ASSERT_TRUE(src->ReadLive(&before).ok());

  ASSERT_EQ(IpBatchLines(ns,
                         {
                             "route del 10.1.0.0/16",
                             "route replace 10.7.0.0/16 via 10.99.0.4",
                             "route del 10.2.0.0/16 table 100",
                             "route add 10.9.0.0/16 via 10.99.0.3 table 100",
                             "route flush table 200",
                             "nexthop del id 10",
                             "nexthop replace id 2 via 10.99.0.5 dev b0",
                             "rule del pref 100",
                             "rule add from 10.0.0.0/8 table 101 pref 100",
                             "rule del pref 101",
                             "route del 2001:db9::/32",
                             "-6 rule del pref 200",
                         }),
            0);
  Snapshot changed;
  ASSERT_TRUE(src->ReadLive(&changed).ok());
  ASSERT_NE(changed.hash(), before.hash());

  ApplyResult result;
  ASSERT_TRUE(src->Apply(ComputeDelta(changed, before), &result).ok());
  EXPECT_TRUE(result.failures.empty()) << Failures(result);
  EXPECT_GT(result.applied, 5u);

  Snapshot after;
  ASSERT_TRUE(src->ReadLive(&after).ok());
  EXPECT_EQ(CapturedRoutes(after), CapturedRoutes(before))
      << SetDifference(CapturedRoutes(before), CapturedRoutes(after));
  EXPECT_EQ(CapturedRules(after), CapturedRules(before));
  EXPECT_EQ(CapturedNexthops(after), CapturedNexthops(before));
  EXPECT_EQ(after.hash(), before.hash());
}

// A failure is reported for its record; the rest of its phase is applied, and no later phase is
// sent (kernel_apply.h): the gateway route, the rule and the next hop wait for a delta that works.
TEST(KernelApply, MissingDeviceIsAPerRecordFailureThatStopsLaterPhases) {
  NetNs ns;
  std::unique_ptr<Source> src;
  ASSERT_TRUE(MakeKernelSource("netns = \"" + ns.name() + "\"", &src).ok());
  Route bad;
  ASSERT_TRUE(Prefix::Parse("10.44.0.0/16", &bad.dst).ok());
  bad.dev = "nosuch0";
  Route connected;
  ASSERT_TRUE(Prefix::Parse("10.47.0.0/16", &connected.dst).ok());
  connected.dev = "a0";
  connected.scope = 253;  // link
  Route good;
  ASSERT_TRUE(Prefix::Parse("10.45.0.0/16", &good.dst).ok());
  ASSERT_TRUE(Address::Parse("10.99.0.3", &good.gateway).ok());
  Rule rule;
  rule.priority = 300;
  ASSERT_TRUE(Prefix::Parse("10.46.0.0/16", &rule.src).ok());
  rule.table = 100;
  Nexthop nh;
  nh.id = 7;
  nh.family = 2;
  nh.dev = "a0";
  ASSERT_TRUE(Address::Parse("10.99.0.3", &nh.gateway).ok());

  Delta delta;
  for (const Record& r : {connected.ToRecord(), good.ToRecord(), rule.ToRecord(), nh.ToRecord()}) {
    delta.push_back({r.key, r.value});
  }
  Delta with_bad = delta;
  with_bad.push_back({bad.Key(), bad.ToRecord().value});
  NormalizeDelta(&delta);
  NormalizeDelta(&with_bad);
  auto shows = [&](const std::string& args, const std::string& what) {
    std::string out;
    ns.Ip(args, &out);
    return out.find(what) != std::string::npos;
  };

  ApplyResult result;
  ASSERT_TRUE(src->Apply(with_bad, &result).ok());
  ASSERT_EQ(result.failures.size(), 1u) << Failures(result);
  EXPECT_EQ(result.failures[0].key, bad.Key());
  EXPECT_EQ(result.failures[0].message, "device nosuch0 does not exist");
  EXPECT_EQ(result.applied, 1u);
  EXPECT_TRUE(shows("route show 10.47.0.0/16", "dev a0"));
  EXPECT_FALSE(shows("route show 10.45.0.0/16", "via 10.99.0.3"));
  EXPECT_FALSE(shows("rule show pref 300", "10.46.0.0/16"));
  EXPECT_FALSE(shows("nexthop show", "id 7"));

  ApplyResult retry;
  ASSERT_TRUE(src->Apply(delta, &retry).ok());
  EXPECT_TRUE(retry.failures.empty()) << Failures(retry);
  EXPECT_EQ(retry.applied, 4u);
  EXPECT_TRUE(shows("route show 10.45.0.0/16", "via 10.99.0.3"));
  EXPECT_TRUE(shows("rule show pref 300", "10.46.0.0/16"));
  EXPECT_TRUE(shows("nexthop show id 7", "10.99.0.3"));

  // Removing what is already gone succeeds.
  ApplyResult again;
  ASSERT_TRUE(src->Apply({{good.Key(), std::nullopt}}, &again).ok());
  ASSERT_TRUE(src->Apply({{good.Key(), std::nullopt}}, &again).ok());
  EXPECT_TRUE(again.failures.empty()) << Failures(again);
}

// A record of another source's kind fails the whole delta before anything reaches the kernel.
TEST(KernelApply, ForeignRecordRefusesTheWholeDelta) {
  NetNs ns;
  std::unique_ptr<Source> src;
  ASSERT_TRUE(MakeKernelSource("netns = \"" + ns.name() + "\"", &src).ok());
  Route r;
  ASSERT_TRUE(Prefix::Parse("10.48.0.0/16", &r.dst).ok());
  r.dev = "a0";
  r.scope = 253;  // link
  Record route = r.ToRecord();
  Delta delta = {{route.key, route.value}, {ResolverRule::KeyFor("."), std::nullopt}};
  NormalizeDelta(&delta);
  ApplyResult result;
  ASSERT_TRUE(src->Apply(delta, &result).ok());
  ASSERT_EQ(result.failures.size(), 1u) << Failures(result);
  EXPECT_EQ(result.failures[0].key, ResolverRule::KeyFor("."));
  EXPECT_EQ(result.failures[0].message, "not a kernel record");
  EXPECT_EQ(result.applied, 0u);
  std::string out;
  ns.Ip("route show 10.48.0.0/16", &out);
  EXPECT_EQ(out, "");
}

TEST(KernelApply, KernelRefusalsAreReportedPerRecordAcrossManySends) {
  NetNs ns;
  std::unique_ptr<Source> src;
  ASSERT_TRUE(MakeKernelSource("netns = \"" + ns.name() + "\"", &src).ok());
  // 6,000 routes take several sends; every 1,000th has a gateway no connected route reaches.
  Delta delta;
  std::set<std::string> refused;
  for (int i = 0; i < 6000; ++i) {
    Route r;
    r.table = 100;
    ASSERT_TRUE(
        Prefix::Parse("10.60." + std::to_string(i / 250) + "." + std::to_string(i % 250) + "/32",
                      &r.dst)
            .ok());
    ASSERT_TRUE(Address::Parse(i % 1000 == 17 ? "192.0.2.77" : "10.99.0.3", &r.gateway).ok());
    Record rec = r.ToRecord();
    if (i % 1000 == 17) refused.insert(rec.key);
    delta.push_back({rec.key, rec.value});
  }
  NormalizeDelta(&delta);
  ApplyResult result;
  ASSERT_TRUE(src->Apply(delta, &result).ok());
  EXPECT_EQ(result.applied, 6000u - refused.size());
  std::set<std::string> reported;
  for (const ApplyFailure& f : result.failures) {
    reported.insert(f.key);
    EXPECT_NE(f.message.find("Network is unreachable"), std::string::npos) << f.message;
  }
  EXPECT_EQ(reported, refused);
  std::string out;
  ns.Ip("route show table 100", &out);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 6000 - static_cast<long>(refused.size()));
}

}  // namespace
}  // namespace netsnap::testing
