// `resync_s` of a kernel source (docs/configuration.md): the source reads its tables in full
// every `resync_s` seconds. A re-read that finds the newest version's content makes no version;
// only that version's `last_seen` moves (docs/store.md), which is what this test watches.
#include <gtest/gtest.h>

#include <set>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

TEST(E2eResync, TheTablesAreReadAgainEveryResyncS) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path(), "resync_s = 1"));
  ASSERT_TRUE(d.Start());
  json::value first = d.WaitForVersion("k", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());
  // Nothing changes in the namespace: every re-read finds the same content. Start-up may
  // bring a re-read or two (link notifications); only the period brings one after another.
  std::set<std::string> seen;
  json::value latest;
  ASSERT_TRUE(WaitFor(
      [&] {
        latest = d.Latest("k");
        if (latest.is_object()) seen.insert(std::string(latest.at("last_seen").as_string()));
        return seen.size() >= 5;
      },
      seconds(30)))
      << seen.size() << " distinct last_seen values";
  EXPECT_EQ(latest.at("version"), first.at("version")) << "the same content makes no version";
  EXPECT_EQ(latest.at("hash"), first.at("hash"));
}

}  // namespace
}  // namespace netsnap::e2e
