// The resolver source knows its own writes by path and content (own_writes.h): during a
// rollback, what Apply wrote takes the rollback's attribution, and a file another process
// writes meanwhile keeps its own cause, so detection inspects it.
#include <gtest/gtest.h>

#include "core/recorder.h"
#include "resolver_test_util.h"
#include "support/temp_dir.h"

namespace netsnap::testing {
namespace {

class ResolverAttribution : public ::testing::Test {
 protected:
  void SetUp() override {
    path = dir.Sub("resolv.conf");
    WriteFile(path, "nameserver 10.0.0.1\n");
    StoreOptions o;
    o.path = dir.Sub("db");
    ASSERT_TRUE(Store::Open(o, &store).ok());
    rec = std::make_unique<Recorder>(
        MakeSource("[[source]]\nname = \"r\"\nformat = \"resolv.conf\"\npath = \"" + path + "\"\n"),
        store.get(), &metrics, nullptr);
    ASSERT_TRUE(rec->Start().ok());
    v1 = rec->current();
  }
  void TearDown() override { rec->Stop(); }
  // Writes `target`'s files as a rollback does, with its attribution set meanwhile.
  void RollBackTo(const Snapshot& target, const std::function<void()>& meanwhile = {}) {
    rec->Attribute(CommitInfo{0, Cause::kRollback, Actor{0, "netsnap", "alice"}, "rollback 1"});
    ApplyResult r;
    ASSERT_TRUE(rec->source()->Apply(ComputeDelta(rec->current(), target), &r).ok());
    ASSERT_TRUE(r.failures.empty());
    if (meanwhile) meanwhile();
    ASSERT_TRUE(rec->source()->Sync().ok());
    rec->Attribute(std::nullopt);
  }

  TempDir dir;
  std::string path;
  std::unique_ptr<Store> store;
  Metrics metrics;
  std::unique_ptr<Recorder> rec;
  Snapshot v1;
};

TEST_F(ResolverAttribution, TheDaemonsOwnWriteTakesTheRollbacksAttribution) {
  ReplaceFile(path, "nameserver 10.0.0.2\n");
  ASSERT_TRUE(rec->source()->Sync().ok());
  EXPECT_EQ(rec->state().latest.cause, Cause::kEvent);
  RollBackTo(v1);
  VersionHeader h = rec->state().latest;
  EXPECT_EQ(h.cause, Cause::kRollback);
  EXPECT_EQ(h.actor.process, "netsnap");
  EXPECT_EQ(h.note, "rollback 1");
  EXPECT_EQ(rec->current().hash(), v1.hash());
}

TEST_F(ResolverAttribution, AForeignWriteDuringARollbackKeepsItsOwnCause) {
  ReplaceFile(path, "nameserver 10.0.0.2\n");
  ASSERT_TRUE(rec->source()->Sync().ok());
  const uint64_t before = rec->state().latest.version;
  // Another process rewrites the file right after the daemon put it back: the capture shows
  // content the daemon did not write.
  RollBackTo(v1, [&] { ReplaceFile(path, "nameserver 10.6.6.6\n"); });
  VersionHeader h = rec->state().latest;
  EXPECT_GT(h.version, before);
  EXPECT_EQ(h.cause, Cause::kEvent) << "a foreign write stamped as the rollback";
  EXPECT_EQ(h.note, "");
  EXPECT_EQ(Files(rec->current()).at(path).content, "nameserver 10.6.6.6\n");
}

}  // namespace
}  // namespace netsnap::testing
