// Route owners through the real snapshotd (docs/detection.md, "Owners"; configuration.md,
// [[owner]]): the table is read from the configuration file, checked with file and line, and
// decides whose changes are an owner's; the API shows each route's owner.
#include <gtest/gtest.h>

#include "harness.h"
#include "netns.h"
#include "shell.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;
using netsnap::testing::Shell;

TEST(E2eOwner, AnOwnerTableNamesItsProcessesAndABadOneStopsStartUp) {
  NetNs ns;
  Snapshotd d;
  ASSERT_EQ(ns.Ip("route add 10.70.0.0/24 via 10.99.0.3 proto dhcp"), 0);
  const std::string policy = "[[policy]]\nsource = \"k\"\naction = \"restore\"\nsettle_ms = 100\n";

  d.Configure(KernelSource("k", ns.path()) + policy +
              "[[owner]]\nprotocol = \"no-such-protocol\"\nprocesses = [\"x\"]\n");
  EXPECT_EQ(d.StartExpectingExit(), 2);
  EXPECT_NE(d.Log().find(d.config_path() + ":"), std::string::npos) << d.Log();
  EXPECT_NE(d.Log().find("[[owner]]: 'protocol' must be a protocol name"), std::string::npos)
      << d.Log();

  // proto dhcp is owned by `leasebot` alone here (the built-in DHCP clients no longer).
  d.Configure(KernelSource("k", ns.path()) + policy +
              "[[owner]]\nprotocol = \"dhcp\"\nprocesses = [\"leasebot\"]\n");
  ASSERT_TRUE(d.Start());
  json::value v = d.WaitForVersion("k", [](const json::object&) { return true; });
  ASSERT_TRUE(v.is_object());
  json::value version = d.GetJson("/v1/sources/k/versions/latest");
  bool shown = false;
  for (const json::value& r : version.at("records").as_array()) {
    if (r.at("kind") != "route" || r.at("dst") != "10.70.0.0/24") continue;
    EXPECT_EQ(r.at("protocol"), "dhcp") << r;
    EXPECT_EQ(r.at("owner"), json::array({"leasebot"})) << r;
    shown = true;
  }
  EXPECT_TRUE(shown) << version;

  // Its owner changes it: an owner_change event, nothing restored.
  std::string owner = d.dir().Sub("leasebot");
  ASSERT_EQ(Shell("cp /bin/ip " + owner), 0);
  int64_t after = d.LastEventId();
  ASSERT_EQ(
      Shell(owner + " -n " + ns.name() + " route change 10.70.0.0/24 via 10.99.0.4 proto dhcp"), 0);
  json::value ev = d.WaitForEvent("owner_change", [](const json::object&) { return true; });
  ASSERT_TRUE(ev.is_object()) << d.Log();
  EXPECT_EQ(ev.at("protocol"), "dhcp") << ev;
  EXPECT_EQ(ev.at("writer").at("process"), "leasebot") << ev;
  EXPECT_TRUE(d.Events("detection", "k", after).empty());
  // Counted (before the event is published) in /metrics.
  EXPECT_NE(d.Get("/metrics")
                .body.find("\nnetsnap_owner_changes_total{source=\"k\",protocol=\"dhcp\"} 1\n"),
            std::string::npos);

  // A copy named like a built-in DHCP client is no owner under this table: damage, put back.
  std::string dhclient = d.dir().Sub("dhclient");
  ASSERT_EQ(Shell("cp /bin/ip " + dhclient), 0);
  ASSERT_EQ(
      Shell(dhclient + " -n " + ns.name() + " route change 10.70.0.0/24 via 10.99.0.5 proto dhcp"),
      0);
  json::value det = d.WaitForEvent("detection", [](const json::object&) { return true; });
  ASSERT_TRUE(det.is_object()) << d.Log();
  EXPECT_EQ(det.at("kind"), "overwrite") << det;
  EXPECT_TRUE(WaitFor([&] {
    std::string out;
    ns.Ip("-4 route show 10.70.0.0/24", &out);
    return out.find("via 10.99.0.4") != std::string::npos &&
           out.find("proto dhcp") != std::string::npos;
  })) << "put back as the owner left it";
}

}  // namespace
}  // namespace netsnap::e2e
