// A rollback's attribution goes only to deliveries the source marks as the daemon's own writes
// (Writer::kDaemon); others keep their cause and actor. Listeners run outside the recorder's
// lock, one version at a time, in commit order.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "api/memory_source.h"
#include "core/recorder.h"
#include "netsnap/time.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::MemorySource;
using testing::TempDir;
using testing::TestRoutes;

class RecorderAttribution : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.path = dir.Sub("db");
    ASSERT_TRUE(Store::Open(o, &store).ok());
    auto src = std::make_unique<MemorySource>("k");
    src->SetRoutes(TestRoutes(4, "10.0.0.1"));
    rec = std::make_unique<Recorder>(std::move(src), store.get(), &metrics, nullptr);
    VersionHeader v;
    ASSERT_TRUE(rec->CaptureNow(Cause::kStartup, Actor{}, "", &v).ok());
  }
  // Removes the first route left and returns the version it made.
  VersionHeader RemoveOne(const Actor& actor, Writer writer) {
    Snapshot now = rec->current();
    rec->OnChanges({Change{std::string(now.at(0).key), std::nullopt}}, Cause::kEvent, actor,
                   NowNs(), writer);
    return rec->state().latest;
  }

  TempDir dir;
  std::unique_ptr<Store> store;
  Metrics metrics;
  std::unique_ptr<Recorder> rec;
};

TEST_F(RecorderAttribution, OnlyTheDaemonsOwnDeliveriesTakeTheRollbacksAttribution) {
  const Actor rogue{4242, "rogue", "rogue route del"};
  rec->Attribute(CommitInfo{0, Cause::kRollback, Actor{0, "netsnap", "alice"}, "rollback 7"});
  VersionHeader own = RemoveOne(Actor{1, "snapshotd", ""}, Writer::kDaemon);
  VersionHeader other = RemoveOne(rogue, Writer::kOther);
  rec->Attribute(std::nullopt);
  VersionHeader after = RemoveOne(Actor{1, "snapshotd", ""}, Writer::kDaemon);

  EXPECT_EQ(own.cause, Cause::kRollback);
  EXPECT_EQ(own.actor.process, "netsnap");
  EXPECT_EQ(own.actor.cmdline, "alice");
  EXPECT_EQ(own.note, "rollback 7");
  // Another process's change during the rollback keeps its writer and cause.
  EXPECT_EQ(other.version, own.version + 1);
  EXPECT_EQ(other.cause, Cause::kEvent);
  EXPECT_EQ(other.actor, rogue);
  EXPECT_EQ(other.note, "");
  // With no rollback applying, the daemon's deliveries are plain captures.
  EXPECT_EQ(after.cause, Cause::kEvent);
  EXPECT_EQ(after.actor.process, "snapshotd");
}

TEST_F(RecorderAttribution, ListenersRunOutsideTheLockInCommitOrder) {
  std::mutex mu;
  std::vector<uint64_t> seen;
  rec->AddListener([&](const VersionCommitted& v) {
    // Reading the recorder from a listener deadlocks when listeners run under its lock; state()
    // shows a version once its listeners have run.
    EXPECT_LT(rec->state().latest.version, v.current.version);
    std::lock_guard l(mu);
    seen.push_back(v.current.version);
  });
  auto writer = [&](const std::string& prefix) {
    for (int i = 0; i < 200; ++i) {
      rec->OnChanges({Change{prefix + std::to_string(i), std::string("v")}}, Cause::kEvent, Actor{},
                     NowNs(), Writer::kOther);
    }
  };
  std::thread a(writer, "ra"), b(writer, "rb");
  a.join();
  b.join();
  std::lock_guard l(mu);
  ASSERT_EQ(seen.size(), 400u);
  for (size_t i = 1; i < seen.size(); ++i) ASSERT_EQ(seen[i], seen[i - 1] + 1) << i;
}

}  // namespace
}  // namespace netsnap
