#include "netsnap/route.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include "common/render.h"

namespace netsnap {
namespace {

Route Sample() {
  Route r;
  EXPECT_TRUE(Prefix::Parse("10.20.0.0/16", &r.dst).ok());
  EXPECT_TRUE(Address::Parse("192.0.2.1", &r.gateway).ok());
  r.dev = "eth0";
  r.protocol = 4;
  r.metric = 100;
  r.table = 100;
  r.metrics = {{2, 1400}};
  r.raw = {{99, "xyz"}};
  return r;
}

TEST(Route, RecordRoundTrip) {
  Route r = Sample();
  Record rec = r.ToRecord();
  Route back;
  ASSERT_TRUE(Route::FromRecord(rec.ref(), &back).ok());
  EXPECT_EQ(back, r);
  EXPECT_EQ(rec.key, r.Key());
}

TEST(Route, Ipv6MultipathRoundTrip) {
  Route r;
  r.family = 10;
  ASSERT_TRUE(Prefix::Parse("2001:db8::/32", &r.dst).ok());
  RouteNexthop a, b;
  ASSERT_TRUE(Address::Parse("fe80::1", &a.gateway).ok());
  a.dev = "a0";
  b.dev = "b0";
  b.weight = 3;
  ASSERT_TRUE(Address::Parse("fe80::2", &b.gateway).ok());
  r.nexthops = {a, b};
  Route back;
  ASSERT_TRUE(Route::FromRecord(r.ToRecord().ref(), &back).ok());
  EXPECT_EQ(back, r);
}

TEST(Route, KeyIgnoresTheValue) {
  Route a = Sample(), b = Sample();
  b.dev = "eth1";
  EXPECT_EQ(a.Key(), b.Key());
  b.metric = 200;
  EXPECT_NE(a.Key(), b.Key());
}

TEST(Route, TableOfKeyReadsTheKeyAlone) {
  Route r;
  r.table = 70000;
  ASSERT_TRUE(Prefix::Parse("10.1.0.0/16", &r.dst).ok());
  uint32_t table = 0;
  ASSERT_TRUE(Route::TableOfKey(r.Key(), &table));
  EXPECT_EQ(table, 70000u);
  EXPECT_FALSE(Route::TableOfKey(r.Key().substr(0, 4), &table));
  std::string other = r.Key();
  other[0] = static_cast<char>(RecordKind::kRule);
  EXPECT_FALSE(Route::TableOfKey(other, &table));
}

TEST(Route, ValueIsViaAgreesWithTheDecodedRoute) {
  Route connected;
  ASSERT_TRUE(Prefix::Parse("10.30.0.0/24", &connected.dst).ok());
  connected.dev = "a0";
  Route object = connected;
  object.dev.clear();
  object.nhid = 7;
  Route multipath = connected;
  multipath.dev.clear();
  multipath.nexthops = {{Address{}, "a0", 1, 0}, {Address{}, "b0", 1, 0}};
  EXPECT_TRUE(Route::ValueIsVia(Sample().ToRecord().value));
  EXPECT_FALSE(Route::ValueIsVia(connected.ToRecord().value));
  EXPECT_TRUE(Route::ValueIsVia(object.ToRecord().value));
  EXPECT_TRUE(Route::ValueIsVia(multipath.ToRecord().value));
  EXPECT_FALSE(Route::ValueIsVia(object.ToRecord().value.substr(0, 5)));
  EXPECT_FALSE(Route::ValueIsVia(""));
}

TEST(Route, DamagedRecordsAreRejected) {
  Record rec = Sample().ToRecord();
  Route out;
  EXPECT_FALSE(Route::FromRecord({rec.key, rec.value.substr(0, 5)}, &out).ok());
  EXPECT_FALSE(Route::FromRecord({rec.key.substr(0, 3), rec.value}, &out).ok());
}

TEST(Prefix, ParsePrintAndCover) {
  Prefix p, q;
  ASSERT_TRUE(Prefix::Parse("10.1.2.3/8", &p).ok());
  EXPECT_EQ(p.ToString(), "10.0.0.0/8");
  ASSERT_TRUE(Prefix::Parse("10.9.0.0/16", &q).ok());
  EXPECT_TRUE(p.Covers(q));
  EXPECT_FALSE(q.Covers(p));
  ASSERT_TRUE(Prefix::Parse("192.0.2.1", &p).ok());
  EXPECT_EQ(p.ToString(), "192.0.2.1");
  ASSERT_TRUE(Prefix::Parse("default", &p).ok());
  EXPECT_EQ(p.ToString(), "default");
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/33", &p).ok());
  EXPECT_FALSE(Prefix::Parse("banana", &p).ok());
}

TEST(Address, PrintsAsInetNtop) {
  for (const char* text :
       {"0.0.0.0", "255.255.255.255", "10.0.100.7", "192.0.2.1", "2001:db8::1"}) {
    Address a;
    ASSERT_TRUE(Address::Parse(text, &a).ok()) << text;
    EXPECT_EQ(a.ToString(), text);
  }
  // Every octet value in every position, against inet_ntop itself.
  for (unsigned v = 0; v < 256; ++v) {
    const uint8_t octets[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(255 - v),
                               static_cast<uint8_t>(v / 2), static_cast<uint8_t>(v % 10 * 11)};
    for (int shift = 0; shift < 4; ++shift) {
      Address a;
      a.family = AF_INET;
      for (int i = 0; i < 4; ++i) a.addr[i] = octets[(i + shift) % 4];
      char want[INET_ADDRSTRLEN];
      ASSERT_NE(inet_ntop(AF_INET, a.addr, want, sizeof want), nullptr);
      EXPECT_EQ(a.ToString(), want);
    }
  }
}

TEST(Render, RouteAsIpPrintsIt) {
  Record rec = Sample().ToRecord();
  EXPECT_EQ(RecordToText(rec.ref()),
            "10.20.0.0/16 via 192.0.2.1 dev eth0 table 100 proto static metric 100");
  boost::json::object o = RecordToJson(rec.ref());
  EXPECT_EQ(o["dst"].as_string(), "10.20.0.0/16");
  EXPECT_EQ(o["gateway"].as_string(), "192.0.2.1");
  EXPECT_EQ(o["protocol"].as_string(), "static");
  EXPECT_EQ(o["table"].as_string(), "100");
}

}  // namespace
}  // namespace netsnap
