// Rule and next-hop records: canonical encoding round trips and rendering as `ip` prints them.
#include <gtest/gtest.h>

#include "common/render.h"
#include "netsnap/nexthop.h"
#include "netsnap/rule.h"

namespace netsnap {
namespace {

Rule SampleRule() {
  Rule r;
  r.priority = 100;
  EXPECT_TRUE(Prefix::Parse("10.0.0.0/8", &r.src).ok());
  EXPECT_TRUE(Prefix::Parse("192.168.0.0/16", &r.dst).ok());
  r.tos = 0x10;
  r.iif = "a0";
  r.oif = "b0";
  r.fwmark = 5;
  r.fwmask = 0xff;
  r.has_uid_range = true;
  r.uid_start = 100;
  r.uid_end = 200;
  r.ip_proto = 6;
  r.sport = {1000, 2000};
  r.dport = {80, 80};
  r.table = 100;
  r.suppress_prefixlen = 0;
  r.raw.push_back({99, "xy"});
  return r;
}

TEST(RuleRecord, RoundTrip) {
  Rule r = SampleRule();
  Record rec = r.ToRecord();
  EXPECT_EQ(KindOfKey(rec.key), RecordKind::kRule);
  EXPECT_EQ(rec.key, r.Key());
  Rule back;
  ASSERT_TRUE(Rule::FromRecord(rec.ref(), &back).ok());
  EXPECT_EQ(back, r);
  // The action is value, not key.
  Rule other = r;
  other.table = 200;
  EXPECT_EQ(other.Key(), r.Key());
  EXPECT_NE(other.ToRecord().value, rec.value);
  // Priority sorts numerically.
  Rule later = r;
  later.priority = 32766;
  EXPECT_LT(r.Key(), later.Key());
  EXPECT_FALSE(Rule::FromRecord({rec.key, rec.value.substr(1)}, &back).ok());
}

TEST(RuleRecord, RendersLikeIp) {
  Rule r = SampleRule();
  r.raw.clear();
  Record rec = r.ToRecord();
  EXPECT_EQ(RecordToText(rec.ref()),
            "100: from 10.0.0.0/8 to 192.168.0.0/16 tos 0x10 fwmark 0x5/0xff iif a0 oif b0 "
            "uidrange 100-200 ipproto tcp sport 1000-2000 dport 80 lookup 100 "
            "suppress_prefixlength 0");
  auto j = RecordToJson(rec.ref());
  EXPECT_EQ(j.at("src").as_string(), "10.0.0.0");
  EXPECT_EQ(j.at("srclen").to_number<int64_t>(), 8);
  EXPECT_EQ(j.at("table").as_string(), "100");
  EXPECT_EQ(j.at("sport_start").to_number<int64_t>(), 1000);
  EXPECT_EQ(j.at("dport").to_number<int64_t>(), 80);

  Rule g;
  g.priority = 101;
  g.invert = true;
  ASSERT_TRUE(Prefix::Parse("1.2.3.4", &g.src).ok());
  g.action = 2;
  g.goto_target = 32766;
  EXPECT_EQ(RecordToText(g.ToRecord().ref()), "101: not from 1.2.3.4 goto 32766");
  auto k = RecordKeyToJson(g.ToRecord().ref());
  EXPECT_EQ(k.at("priority").to_number<int64_t>(), 101);
  EXPECT_FALSE(k.contains("goto"));
}

TEST(NexthopRecord, RoundTripAndRender) {
  Nexthop nh;
  nh.id = 10;
  nh.group = {{1, 1}, {2, 3}};
  Record rec = nh.ToRecord();
  EXPECT_EQ(rec.key, Nexthop::KeyOf(10));
  Nexthop back;
  ASSERT_TRUE(Nexthop::FromRecord(rec.ref(), &back).ok());
  EXPECT_EQ(back, nh);
  EXPECT_EQ(RecordToText(rec.ref()), "id 10 group 1/2,3");

  Nexthop gw;
  gw.id = 1;
  gw.family = 2;
  gw.scope = 253;
  gw.dev = "a0";
  ASSERT_TRUE(Address::Parse("10.99.0.3", &gw.gateway).ok());
  gw.raw.push_back({7, std::string("\0\1", 2)});
  ASSERT_TRUE(Nexthop::FromRecord(gw.ToRecord().ref(), &back).ok());
  EXPECT_EQ(back, gw);
  gw.raw.clear();
  EXPECT_EQ(RecordToText(gw.ToRecord().ref()), "id 1 via 10.99.0.3 dev a0 scope link");
  EXPECT_EQ(RecordToJson(gw.ToRecord().ref()).at("gateway").as_string(), "10.99.0.3");
  EXPECT_LT(Nexthop::KeyOf(2), Nexthop::KeyOf(256));
}

}  // namespace
}  // namespace netsnap
