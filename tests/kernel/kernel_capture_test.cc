// A full capture equals what `ip -j` reports for the same namespace, compared as sets after
// the same filter.
#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "netsnap/route.h"

namespace netsnap::testing {
namespace {

constexpr auto kWait = std::chrono::seconds(20);

void Populate(const NetNs& ns) {
  const std::vector<std::string> lines = {
      // IPv4: plain, metrics, preferred source, protocol, several tables, reject types.
      "route add 10.1.0.0/16 via 10.99.0.3 metric 10",
      "route add 10.1.0.0/16 via 10.99.0.4 metric 20",
      "route add 10.7.0.0/16 via 10.99.0.3 src 10.99.0.1 mtu lock 1400 proto bird",
      "route add default via 10.99.0.254",
      "route add 192.0.2.7 dev b0 proto static scope link",
      "route add 10.2.0.0/16 table 100 nexthop via 10.99.0.3 weight 2 "
      "nexthop via 10.99.0.4 dev b0",
      "route add blackhole 10.3.0.0/16 table 200",
      "route add unreachable 10.4.0.0/16",
      "route add prohibit 10.5.0.0/16 table 100000",
      "route add 10.8.0.0/24 via 10.99.0.5 table 100 proto static",
      // IPv6.
      "-6 route add 2001:db8::/32 via fd00:99::5",
      "-6 route add 2001:db9::/32 nexthop via fd00:99::5 dev a0 nexthop via fd00:99::6 dev a0",
      "-6 route add blackhole 2001:dba::/48 table 100",
      "-6 route add default via fd00:99::9 dev a0 metric 2048",
      "-6 route add unreachable 2001:dbb::/32",
      // Next-hop objects and routes that use them.
      "nexthop add id 1 via 10.99.0.3 dev a0",
      "nexthop add id 2 via 10.99.0.4 dev a0",
      "nexthop add id 3 blackhole",
      "nexthop add id 10 group 1/2,3",
      "-6 nexthop add id 5 via fd00:99::7 dev a0",
      "route add 10.6.0.0/16 nhid 10",
      "route add 10.9.0.0/16 nhid 1 table 100",
      "-6 route add 2001:dbc::/32 nhid 5",
      // Rules with various selectors.
      "rule add from 10.0.0.0/8 to 192.168.0.0/16 tos 0x10 fwmark 0x5/0xff iif a0 oif b0 "
      "uidrange 100-200 ipproto tcp sport 1000-2000 dport 80 table 100 pref 100",
      "rule add not from 1.2.3.4 goto 32766 pref 101",
      "rule add from all lookup main suppress_prefixlength 0 pref 102",
      "rule add prohibit from 5.5.5.5 pref 103",
      "rule add fwmark 0x7 lookup 200 pref 104",
      "rule add from 10.10.0.0/16 lookup 100 pref 104",
      "-6 rule add from 2001:db8::/32 table 100 pref 200",
      "-6 rule add to 2001:db9::/32 iif a0 unreachable pref 201",
  };
  ASSERT_EQ(IpBatchLines(ns, lines), 0);
}

void ExpectMatchesIp(const NetNs& ns, const Snapshot& snap) {
  auto ip_routes = IpRoutes(ns);
  auto got_routes = CapturedRoutes(snap);
  EXPECT_GT(ip_routes.size(), 10u);
  EXPECT_EQ(got_routes, ip_routes) << "missing:\n"
                                   << SetDifference(ip_routes, got_routes) << "extra:\n"
                                   << SetDifference(got_routes, ip_routes);
  auto ip_rules = IpRules(ns);
  auto got_rules = CapturedRules(snap);
  EXPECT_EQ(got_rules, ip_rules) << "missing:\n"
                                 << SetDifference(ip_rules, got_rules) << "extra:\n"
                                 << SetDifference(got_rules, ip_rules);
  auto ip_nh = IpNexthops(ns);
  auto got_nh = CapturedNexthops(snap);
  EXPECT_EQ(got_nh, ip_nh) << "missing:\n"
                           << SetDifference(ip_nh, got_nh) << "extra:\n"
                           << SetDifference(got_nh, ip_nh);
}

TEST(KernelCapture, StartupSnapshotMatchesIp) {
  NetNs ns;
  Populate(ns);
  std::unique_ptr<Source> src;
  ASSERT_TRUE(MakeKernelSource("netns = \"" + ns.name() + "\"", &src).ok());
  FoldingSink sink;
  ASSERT_TRUE(src->Start(&sink).ok());
  auto d = sink.deliveries();
  ASSERT_FALSE(d.empty());
  EXPECT_TRUE(d[0].snapshot);
  EXPECT_EQ(d[0].cause, Cause::kStartup);
  ExpectMatchesIp(ns, sink.current());

  // A route that uses a next-hop object is recorded by its id alone.
  for (RecordRef rec : sink.current()) {
    Route r;
    if (KindOfKey(rec.key) != RecordKind::kRoute || !Route::FromRecord(rec, &r).ok()) continue;
    if (r.nhid) {
      EXPECT_TRUE(r.gateway.empty());
      EXPECT_TRUE(r.dev.empty());
      EXPECT_TRUE(r.nexthops.empty());
    }
  }

  Snapshot live;
  ASSERT_TRUE(src->ReadLive(&live).ok());
  EXPECT_EQ(live.hash(), sink.current().hash());
  src->Stop();
  EXPECT_TRUE(sink.errors().empty()) << sink.errors()[0];
}

TEST(KernelCapture, PathNamespaceAndTableFilter) {
  NetNs ns;
  Populate(ns);
  std::unique_ptr<Source> src;
  ASSERT_TRUE(
      MakeKernelSource("netns = \"" + ns.path() + "\"\ntables = [100]\nresync_s = 0", &src).ok());
  EXPECT_EQ(src->kind(), "kernel");
  FoldingSink sink;
  ASSERT_TRUE(src->Start(&sink).ok());
  size_t routes = 0;
  for (RecordRef rec : sink.current()) {
    if (KindOfKey(rec.key) != RecordKind::kRoute) continue;
    Route r;
    ASSERT_TRUE(Route::FromRecord(rec, &r).ok());
    EXPECT_EQ(r.table, 100u);
    ++routes;
  }
  EXPECT_EQ(routes, 4u);  // 10.2/16, 10.8/24, 10.9/16 and the IPv6 blackhole
  src->Stop();
}

TEST(KernelCapture, IncludeKernelRoutesWhenConfigured) {
  NetNs ns;
  std::unique_ptr<Source> src;
  ASSERT_TRUE(MakeKernelSource("netns = \"" + ns.name() +
                                   "\"\ninclude_protocol_kernel = true\ninclude_local_table = true",
                               &src)
                  .ok());
  FoldingSink sink;
  ASSERT_TRUE(src->Start(&sink).ok());
  bool local = false;
  for (RecordRef rec : sink.current()) {
    Route r;
    if (KindOfKey(rec.key) == RecordKind::kRoute && Route::FromRecord(rec, &r).ok()) {
      local |= r.table == 255;
    }
  }
  EXPECT_TRUE(local);
  src->Stop();
}

TEST(KernelCapture, MissingNamespaceFails) {
  std::unique_ptr<Source> src;
  Status s = MakeKernelSource("netns = \"nstest-does-not-exist\"", &src);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
}

}  // namespace
}  // namespace netsnap::testing
