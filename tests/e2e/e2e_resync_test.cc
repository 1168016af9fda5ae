// `resync_s` of a kernel source (docs/configuration.md): the source reads its tables in full
// every `resync_s` seconds. A re-read that finds the newest version's content makes no version;
// only that version's `last_seen` moves (docs/store.md), which is what this test watches.
// `reread_s` of a resolver source heals a change inotify cannot see: a mount over the file.
//
// No kernel change goes unannounced that the source does not already re-read for (links and
// addresses going away, next-hop objects deleted: configuration.md), so a kernel change only
// resync_s would heal cannot be staged without fault injection; the test above shows the
// periodic full read itself.
#include <gtest/gtest.h>

#include <sys/mount.h>

#include <filesystem>
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

TEST(E2eResync, TheResolverReReadHealsAMountOverAFileThatInotifyCannotSee) {
  Snapshotd d;
  std::string resolv = WriteResolvConf(d);
  std::string other = d.dir().Sub("other.conf");
  WriteFile(other, "nameserver 192.0.2.53\n");
  d.Configure(ResolverSource("r", "resolv.conf", resolv, "reread_s = 1"));
  ASSERT_TRUE(d.Start());
  json::value first = d.WaitForVersion("r", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());

  // A bind mount over the file changes what the path reads and sends no inotify event.
  ASSERT_EQ(mount(other.c_str(), resolv.c_str(), nullptr, MS_BIND, nullptr), 0) << errno;
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{resolv};
  ASSERT_EQ(ReadFile(resolv), "nameserver 192.0.2.53\n");
  json::value healed = d.WaitForVersion(
      "r", [&](const json::object& h) { return h.at("version") != first.at("version"); });
  ASSERT_TRUE(healed.is_object()) << d.Log();
  EXPECT_EQ(healed.at("cause"), "periodic") << healed;
  HttpReply text = d.Get("/v1/sources/r/versions/latest?format=text");
  EXPECT_NE(text.body.find("\nnameserver 192.0.2.53\n"), std::string::npos) << text.body;
}

}  // namespace
}  // namespace netsnap::e2e
