// Records written directly as JSON (AppendRecordJson, for whole versions) give the bytes of the
// boost::json object every other answer serializes, for every field a route may carry and for
// records that fall back to hex.
#include "common/render.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "common/json_writer.h"
#include "netsnap/route.h"
#include "netsnap/rule.h"

namespace netsnap {
namespace {

std::string Serialized(RecordRef rec) { return boost::json::serialize(RecordToJson(rec)); }

std::string Appended(RecordRef rec) {
  std::string out = "[";  // what precedes a record in a version's array is kept
  AppendRecordJson(rec, &out);
  return out.substr(1);
}

Route Prefixed(const char* dst) {
  Route r;
  EXPECT_TRUE(Prefix::Parse(dst, &r.dst).ok()) << dst;
  r.family = r.dst.family;
  return r;
}

std::vector<Route> Routes() {
  std::vector<Route> routes;
  routes.push_back(Prefixed("default"));
  Route full = Prefixed("10.20.0.0/16");
  EXPECT_TRUE(Address::Parse("192.0.2.1", &full.gateway).ok());
  EXPECT_TRUE(Address::Parse("192.0.2.9", &full.prefsrc).ok());
  full.dev = "eth0";
  full.table = 100;
  full.tos = 8;
  full.metric = 4294967295u;
  full.protocol = 12;  // bird: has an owner
  full.scope = 253;
  full.flags = 4 | 16;
  full.metrics = {{2, 1400}, {17, 1}, {40, 7}};  // a known name, the last one, a number
  full.raw = {{99, "xyz"}, {100, ""}};
  routes.push_back(full);
  Route v6 = Prefixed("2001:db8::/48");
  EXPECT_TRUE(Prefix::Parse("2001:db8:1::/64", &v6.src).ok());
  v6.type = 6;        // blackhole
  v6.protocol = 250;  // no name
  v6.table = 255;
  routes.push_back(v6);
  Route multipath = Prefixed("198.51.100.7");
  RouteNexthop a, b;
  EXPECT_TRUE(Address::Parse("192.0.2.1", &a.gateway).ok());
  a.dev = "we\"ird\\\n\x01\xff";  // escapes and a byte that is not UTF-8
  a.weight = 3;
  a.flags = 1 | 2 | 4 | 8 | 16;
  b.dev = "eth1";
  multipath.nexthops = {a, b};
  routes.push_back(multipath);
  Route by_id = Prefixed("203.0.113.0/24");
  by_id.nhid = 42;
  routes.push_back(by_id);
  return routes;
}

TEST(RenderJson, RoutesWrittenDirectlyEqualTheSerializedObject) {
  for (const Route& r : Routes()) {
    Record rec = r.ToRecord();
    EXPECT_EQ(Appended(rec.ref()), Serialized(rec.ref()));
  }
}

TEST(RenderJson, ARouteThatDoesNotDecodeFallsBackToHexInBothForms) {
  Record rec = Routes()[1].ToRecord();
  rec.value.resize(rec.value.size() / 2);
  std::string json = Appended(rec.ref());
  EXPECT_NE(json.find("\"error\""), std::string::npos) << json;
  EXPECT_EQ(json, Serialized(rec.ref()));
}

TEST(RenderJson, KindsWithoutADirectFormSerializeTheirObject) {
  Rule rule;
  rule.priority = 100;
  Record rec = rule.ToRecord();
  EXPECT_EQ(Appended(rec.ref()), Serialized(rec.ref()));
}

// The CLI's cell: strings bare, everything else as JSON.
std::string Cell(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

std::string Line(RecordRef rec) { return RecordJsonLine(RecordToJson(rec), &Cell); }

TEST(RenderLine, RoutesHaveTheirShortFormOtherKindsTheirFields) {
  EXPECT_EQ(Line(Routes()[1].ToRecord().ref()),
            "10.20.0.0/16 via 192.0.2.1 dev eth0 table 100 metric 4294967295");
  Rule rule;
  rule.priority = 100;
  ASSERT_TRUE(Prefix::Parse("10.0.0.0/8", &rule.dst).ok());  // a "dst" field is no route's
  rule.table = 100;
  EXPECT_EQ(Line(rule.ToRecord().ref()),
            "rule family=inet priority=100 src=all dst=10.0.0.0 dstlen=8 table=100 "
            "protocol=unspec");
}

TEST(RenderLine, RecordsThatDoNotDecodeAndUnknownKindsShowTheirHex) {
  Record rec = Routes()[1].ToRecord();
  rec.value.resize(rec.value.size() / 2);
  EXPECT_EQ(Line(rec.ref()).rfind("route key_hex=", 0), 0u) << Line(rec.ref());
  EXPECT_EQ(Line({"\x63k", "v"}), "unknown key_hex=636b value_hex=76");
  EXPECT_EQ(RecordJsonLine(boost::json::object{{"a", 1}}, &Cell), "a=1");  // no kind at all
}

TEST(RenderJson, WriterPutsCommasBetweenValuesOnly) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Uint(1);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.EndArray();
  w.Key("b\t");
  w.String("x");
  w.EndObject();
  EXPECT_EQ(out, "{\"a\":[1,null,{}],\"b\\t\":\"x\"}");
}

}  // namespace
}  // namespace netsnap
