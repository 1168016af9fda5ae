// Route protocol names from rt_protos files in a temp folder, the built-in owner map, [[owner]]
// tables and the route's "owner" in its JSON form.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "common/render.h"
#include "core/config.h"
#include "detect/owner_config.h"
#include "netsnap/route.h"
#include "sources/kernel/rt_protos.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::TempDir;

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

Status Owners(const TempDir& dir, const std::string& toml, RouteProtocols* out) {
  DaemonConfig c;
  NETSNAP_RETURN_IF_ERROR(ParseConfig(toml, "test.toml", &c));
  return ParseOwners(c.document.get(), "test.toml", dir.path(), out);
}

TEST(RtProtos, ParsesNumbersNamesCommentsAndSkipsJunk) {
  RouteProtocols p;
  kernel::ParseRtProtos(
      "# comment\n"
      "  12\tbird   # BIRD\n"
      "0x2a babel\n"
      "300 toolarge\n"
      "7\n"
      "8 two words\n"
      "x9 notanumber\n"
      "99 routerd\r\n"
      "99 routerd2\n",
      &p);
  EXPECT_EQ(p.names.size(), 3u);
  EXPECT_EQ(p.Name(12), "bird");
  EXPECT_EQ(p.Name(42), "babel");
  EXPECT_EQ(p.Name(99), "routerd2");  // a later name replaces an earlier one
  EXPECT_EQ(p.Name(7), "7");
}

TEST(RtProtos, LoadsTheFileThenTheConfFilesOfTheFolderInNameOrder) {
  TempDir dir;
  Write(dir.Sub("rt_protos"), "12 bird\n200 mine\n");
  std::filesystem::create_directory(dir.Sub("rt_protos.d"));
  Write(dir.Sub("rt_protos.d/b.conf"), "201 from_b\n200 replaced\n");
  Write(dir.Sub("rt_protos.d/a.conf"), "201 from_a\n");
  Write(dir.Sub("rt_protos.d/c.txt"), "202 ignored\n");
  RouteProtocols p = RouteProtocols::BuiltIn();
  ASSERT_TRUE(kernel::LoadRtProtos(dir.path(), &p).ok());
  EXPECT_EQ(p.Name(200), "replaced");
  EXPECT_EQ(p.Name(201), "from_b");
  EXPECT_EQ(p.Name(202), "202");
  EXPECT_EQ(p.Name(16), "dhcp");  // built in
}

TEST(RtProtos, MissingFilesKeepTheBuiltInNames) {
  TempDir dir;
  RouteProtocols p = RouteProtocols::BuiltIn();
  ASSERT_TRUE(kernel::LoadRtProtos(dir.Sub("none"), &p).ok());
  EXPECT_EQ(p.Name(12), "bird");
  EXPECT_EQ(p.Number("zebra"), 11);
  EXPECT_EQ(p.Number("196"), 196);
  EXPECT_FALSE(p.Number("256"));
  EXPECT_FALSE(p.Number("nosuch"));
}

TEST(RtProtos, AFileLargerThanOneMebibyteIsRefused) {
  TempDir dir;
  Write(dir.Sub("rt_protos"), std::string((1 << 20) + 1, '#'));
  RouteProtocols p;
  Status s = kernel::LoadRtProtos(dir.path(), &p);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rt_protos"), std::string::npos) << s.ToString();
}

TEST(Owners, BuiltInMap) {
  RouteProtocols p = RouteProtocols::BuiltIn();
  EXPECT_TRUE(p.Owns(12, "bird"));
  EXPECT_FALSE(p.Owns(12, "ip"));
  EXPECT_FALSE(p.Owns(12, ""));
  for (int proto : {11, 186, 187, 188, 196}) EXPECT_TRUE(p.Owns(proto, "zebra")) << proto;
  EXPECT_TRUE(p.Owns(186, "bgpd"));
  for (const char* c : {"dhclient", "dhcpcd", "NetworkManager"}) EXPECT_TRUE(p.Owns(16, c)) << c;
  // comm keeps 15 characters: systemd-networkd is "systemd-network".
  EXPECT_TRUE(p.Owns(16, "systemd-network"));
  EXPECT_TRUE(p.Owns(18, "keepalived"));
  EXPECT_TRUE(p.Owns(42, "babeld"));
  EXPECT_TRUE(p.Owners(2).empty());  // kernel
  EXPECT_TRUE(p.Owners(3).empty());  // boot
  EXPECT_TRUE(p.Owners(4).empty());  // static
}

TEST(Owners, ConfigReplacesAProtocolsListByNameFromTheFolderOrByNumber) {
  TempDir dir;
  Write(dir.Sub("rt_protos"), "77 myrouter\n");
  RouteProtocols p;
  ASSERT_TRUE(Owners(dir,
                     "[[owner]]\nprotocol = \"bird\"\nprocesses = [\"bird-ns1\"]\n"
                     "[[owner]]\nprotocol = \"myrouter\"\nprocesses = [\"myrouterd\"]\n"
                     "[[owner]]\nprotocol = 16\nprocesses = []\n",
                     &p)
                  .ok());
  EXPECT_TRUE(p.Owns(12, "bird-ns1"));
  EXPECT_FALSE(p.Owns(12, "bird"));  // replaced, not extended
  EXPECT_TRUE(p.Owns(77, "myrouterd"));
  EXPECT_EQ(p.Name(77), "myrouter");
  EXPECT_FALSE(p.Owns(16, "dhclient"));
  EXPECT_TRUE(p.Owns(11, "zebra"));  // untouched
}

TEST(Owners, BadTablesAreRefusedNamingTheLine) {
  TempDir dir;
  RouteProtocols p;
  struct Case {
    std::string toml, want;
  } cases[] = {
      {"[[owner]]\nprotocol = \"bird\"\nprocesses = [\"bird\"]\nuser = \"x\"\n",
       "test.toml:4: [[owner]]: 'user' is not an owner key"},
      {"[[owner]]\nprotocol = \"nosuch\"\nprocesses = [\"x\"]\n", "test.toml:2:"},
      {"[[owner]]\nprotocol = 256\nprocesses = [\"x\"]\n", "number 0-255"},
      {"[[owner]]\nprocesses = [\"x\"]\n", "'protocol' must be"},
      {"[[owner]]\nprotocol = \"bird\"\n", "'processes' must be an array"},
      {"[[owner]]\nprotocol = \"bird\"\nprocesses = \"bird\"\n", "test.toml:3:"},
      {"[[owner]]\nprotocol = \"bird\"\nprocesses = [\"\"]\n", "non-empty"},
      {"[[owner]]\nprotocol = \"bird\"\nprocesses = [\"/usr/sbin/bird\"]\n", "without '/'"},
      {"[[owner]]\nprotocol = \"bird\"\nprocesses = [\"a\"]\n"
       "[[owner]]\nprotocol = 12\nprocesses = [\"b\"]\n",
       "two [[owner]] tables for protocol bird"},
      {"owner = 1\n", "[[owner]] tables"},
  };
  for (const Case& c : cases) {
    Status s = Owners(dir, c.toml, &p);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << c.toml;
    EXPECT_NE(s.message().find(c.want), std::string::npos) << c.toml << " -> " << s.ToString();
  }
}

TEST(Owners, RouteJsonNamesTheProtocolAndItsOwners) {
  Route r;
  ASSERT_TRUE(Prefix::Parse("10.60.0.0/24", &r.dst).ok());
  r.dev = "a0";
  r.protocol = 12;
  InstallRouteProtocols(RouteProtocols::BuiltIn());
  boost::json::object o = RecordToJson(r.ToRecord().ref());
  EXPECT_EQ(o["protocol"], "bird");
  EXPECT_EQ(boost::json::serialize(o["owner"]), R"(["bird","bird6"])");
  EXPECT_NE(RecordToText(r.ToRecord().ref()).find("proto bird"), std::string::npos);
  r.protocol = 4;
  o = RecordToJson(r.ToRecord().ref());
  EXPECT_EQ(o["protocol"], "static");
  EXPECT_FALSE(o.contains("owner"));
  // An installed table (rt_protos plus [[owner]]) is what rendering uses.
  RouteProtocols mine = RouteProtocols::BuiltIn();
  mine.names[77] = "myrouter";
  mine.owners[77] = {"myrouterd"};
  InstallRouteProtocols(mine);
  r.protocol = 77;
  o = RecordToJson(r.ToRecord().ref());
  EXPECT_EQ(o["protocol"], "myrouter");
  EXPECT_EQ(boost::json::serialize(o["owner"]), R"(["myrouterd"])");
  InstallRouteProtocols(RouteProtocols::BuiltIn());
}

}  // namespace
}  // namespace netsnap
