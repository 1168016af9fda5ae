// Record codecs and renderers for resolver rules, settings and files.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/render.h"
#include "netsnap/resolver.h"

namespace netsnap {
namespace {

TEST(ResolverRecord, RuleRoundTrip) {
  ResolverRule r;
  r.domain = "corp.example";
  r.type = ResolverRuleType::kForward;
  r.targets = {{"10.0.0.2", 5353, "@eth0"}, {"2001:db8::1", 0, ""}};
  r.options = {"forward-first yes"};
  r.origin = "/etc/dnsmasq.conf";
  Record rec = r.ToRecord();
  EXPECT_EQ(rec.key, std::string(1, '\x04') + "corp.example");
  ResolverRule back;
  ASSERT_TRUE(ResolverRule::FromRecord(rec.ref(), &back).ok());
  EXPECT_EQ(back, r);
  EXPECT_EQ(RecordToText(rec.ref()),
            "corp.example forward 10.0.0.2#5353@eth0 2001:db8::1 options forward-first yes "
            "origin /etc/dnsmasq.conf");
  boost::json::object j = RecordToJson(rec.ref());
  EXPECT_EQ(j["kind"], "resolver_rule");
  EXPECT_EQ(j["domain"], "corp.example");
  EXPECT_EQ(j["type"], "forward");
  EXPECT_EQ(j["targets"].as_array()[0].as_object().at("port"), 5353);
  EXPECT_EQ(j["targets"].as_array()[1].as_object().at("port"), 53);
  EXPECT_EQ(RecordKeyToJson(rec.ref())["domain"], "corp.example");
}

TEST(ResolverRecord, SettingRoundTrip) {
  ResolverSetting s{"search", {"a.example", "b.example"}, "/etc/resolv.conf"};
  Record rec = s.ToRecord();
  ResolverSetting back;
  ASSERT_TRUE(ResolverSetting::FromRecord(rec.ref(), &back).ok());
  EXPECT_EQ(back, s);
  EXPECT_EQ(RecordToText(rec.ref()), "search a.example b.example");
  EXPECT_EQ(RecordToJson(rec.ref())["values"].as_array().size(), 2u);
}

TEST(ResolverRecord, FileRoundTripAndRender) {
  ConfigFile f;
  f.path = "/etc/resolv.conf";
  f.has_content = true;
  f.content = std::string("nameserver 1.1.1.1\n\0\xff", 22);
  f.mode = 0640;
  f.uid = 0;
  f.gid = 4;
  f.symlink_target = "../run/resolv.conf";
  f.error = "line 2: control characters";
  Record rec = f.ToRecord();
  ConfigFile back;
  ASSERT_TRUE(ConfigFile::FromRecord(rec.ref(), &back).ok());
  EXPECT_EQ(back, f);
  EXPECT_EQ(RecordToText(rec.ref()), f.content);
  boost::json::object j = RecordToJson(rec.ref());
  EXPECT_EQ(j["mode"], "0640");
  EXPECT_EQ(j["symlink"], "../run/resolv.conf");
  EXPECT_TRUE(j.contains("content_base64"));  // not valid UTF-8
  EXPECT_FALSE(j.contains("content"));
  // The rendered JSON must serialise to valid JSON.
  EXPECT_NO_THROW(boost::json::parse(boost::json::serialize(j)));
}

TEST(ResolverRecord, CorruptValuesAreRejected) {
  ResolverRule r;
  Record rec = r.ToRecord();
  for (size_t cut = 0; cut < rec.value.size(); ++cut) {
    ResolverRule back;
    EXPECT_FALSE(ResolverRule::FromRecord({rec.key, rec.value.substr(0, cut)}, &back).ok());
  }
  ConfigFile f;
  f.path = "/x";
  Record frec = f.ToRecord();
  ConfigFile fb;
  EXPECT_FALSE(ConfigFile::FromRecord({frec.key, frec.value + "x"}, &fb).ok());
  // A bad record still renders (as hex, with the error).
  boost::json::object j = RecordToJson({rec.key, "\x01"});
  EXPECT_TRUE(j.contains("error"));
}

}  // namespace
}  // namespace netsnap
