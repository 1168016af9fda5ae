#include "netsnap/store.h"

#include <gtest/gtest.h>

#include <random>

#include "netsnap/time.h"
#include "route_tables.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::RouteTable;
using testing::TempDir;

constexpr int64_t kS = 1000000000;
constexpr int64_t kT0 = 1800000000LL * kS;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen(StoreOptions o = {}) {
    store_.reset();
    o.path = dir_.Sub("db");
    ASSERT_TRUE(Store::Open(o, &store_).ok());
  }
  VersionHeader Commit(const Snapshot& s, int64_t t, const Delta* d = nullptr) {
    VersionHeader h;
    Status st = store_->Commit("kernel", s, d, {t, Cause::kEvent, {}, ""}, &h);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return h;
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, NumbersVersionsAndCountsChanges) {
  RouteTable t(100);
  std::mt19937 rng(1);
  VersionHeader v1 = Commit(t.ToSnapshot(), kT0);
  EXPECT_EQ(v1.version, 1u);
  EXPECT_EQ(v1.diff.added, 100u);
  Snapshot before = t.ToSnapshot();
  t.Mutate(&rng, 10);
  Snapshot after = t.ToSnapshot();
  VersionHeader v2 = Commit(after, kT0 + kS);
  EXPECT_EQ(v2.version, 2u);
  Diff d = ComputeDiff(before, after);
  EXPECT_EQ(v2.diff.added, d.added.size());
  EXPECT_EQ(v2.diff.removed, d.removed.size());
  EXPECT_EQ(v2.diff.changed, d.changed.size());
  EXPECT_EQ(v2.records, after.size());
}

TEST_F(StoreTest, UnchangedContentMovesOnlyLastSeen) {
  RouteTable t(50);
  VersionHeader v1 = Commit(t.ToSnapshot(), kT0);
  VersionHeader again = Commit(t.ToSnapshot(), kT0 + 5 * kS);
  EXPECT_EQ(again.version, v1.version);
  EXPECT_EQ(again.time_ns, kT0);
  EXPECT_EQ(again.last_seen_ns, kT0 + 5 * kS);
  VersionHeader stored;
  ASSERT_TRUE(store_->Header("kernel", 1, &stored).ok());
  EXPECT_EQ(stored.last_seen_ns, kT0 + 5 * kS);
  VersionHeader next;
  EXPECT_TRUE(store_->Header("kernel", 2, &next).IsNotFound());
  // Pages show the moved time too, before and after a reopen.
  for (int round = 0; round < 2; ++round) {
    VersionPage page;
    ASSERT_TRUE(store_->ListVersions("kernel", VersionQuery{}, &page).ok());
    ASSERT_EQ(page.versions.size(), 1u);
    EXPECT_EQ(page.versions[0].last_seen_ns, kT0 + 5 * kS);
    Reopen();
  }
}

TEST_F(StoreTest, TimeLookupsAtTheEdges) {
  RouteTable t(10);
  std::mt19937 rng(2);
  for (int i = 0; i < 3; ++i) {
    Commit(t.ToSnapshot(), kT0 + i * 10 * kS);
    t.Mutate(&rng, 2);
  }
  VersionHeader h;
  EXPECT_TRUE(store_->AtOrBefore("kernel", kT0 - 1, &h).IsNotFound());
  ASSERT_TRUE(store_->AtOrBefore("kernel", kT0, &h).ok());
  EXPECT_EQ(h.version, 1u);
  ASSERT_TRUE(store_->AtOrBefore("kernel", kT0 + 10 * kS, &h).ok());
  EXPECT_EQ(h.version, 2u);
  ASSERT_TRUE(store_->AtOrBefore("kernel", kT0 + 15 * kS, &h).ok());
  EXPECT_EQ(h.version, 2u);
  ASSERT_TRUE(store_->AtOrBefore("kernel", kT0 + 1000 * kS, &h).ok());
  EXPECT_EQ(h.version, 3u);
  EXPECT_TRUE(store_->AtOrBefore("nosuch", kT0, &h).IsNotFound());
}

TEST_F(StoreTest, ReconstructsEveryVersionAcrossDeltasAndCheckpoints) {
  StoreOptions o;
  o.checkpoint_share = 0.2;  // many checkpoints
  o.max_chain = 7;
  Reopen(o);
  RouteTable t(300);
  std::mt19937 rng(3);
  std::vector<Snapshot> history;
  for (int i = 0; i < 80; ++i) {
    history.push_back(t.ToSnapshot());
    Commit(history.back(), kT0 + i * kS);
    t.Mutate(&rng, 1 + rng() % 40);
  }
  Reopen(o);  // read from disk, not from the latest-version cache
  for (size_t i = 0; i < history.size(); ++i) {
    Snapshot s;
    Status st = store_->Reconstruct("kernel", i + 1, &s);
    ASSERT_TRUE(st.ok()) << i + 1 << ": " << st.ToString();
    EXPECT_EQ(s.Encode(), history[i].Encode()) << "version " << i + 1;
  }
  Diff d;
  ASSERT_TRUE(store_->DiffVersions("kernel", 3, 70, &d).ok());
  Diff want = ComputeDiff(history[2], history[69]);
  EXPECT_EQ(d.added.size(), want.added.size());
  EXPECT_EQ(d.removed.size(), want.removed.size());
  EXPECT_EQ(d.changed.size(), want.changed.size());
}

TEST_F(StoreTest, ADeltaFromTheCallerIsUsedAndAWrongOneIsNot) {
  RouteTable t(100);
  std::mt19937 rng(4);
  Snapshot a = t.ToSnapshot();
  Commit(a, kT0);
  t.Mutate(&rng, 5);
  Snapshot b = t.ToSnapshot();
  Delta good = ComputeDelta(a, b);
  VersionHeader h2 = Commit(b, kT0 + kS, &good);
  t.Mutate(&rng, 5);
  Snapshot c = t.ToSnapshot();
  Delta wrong = {{testing::RouteRecord(99999).key, "bogus"}};
  VersionHeader h3 = Commit(c, kT0 + 2 * kS, &wrong);
  Reopen();
  Snapshot s;
  ASSERT_TRUE(store_->Reconstruct("kernel", h2.version, &s).ok());
  EXPECT_EQ(s.Encode(), b.Encode());
  ASSERT_TRUE(store_->Reconstruct("kernel", h3.version, &s).ok());
  EXPECT_EQ(s.Encode(), c.Encode());
}

TEST_F(StoreTest, StorageGrowsWithTheChangeNotTheTable) {
  RouteTable t(50000);
  std::mt19937 rng(5);
  Commit(t.ToSnapshot(), kT0);
  ASSERT_TRUE(store_->Flush().ok());
  uint64_t first = store_->DiskBytes();
  t.Mutate(&rng, 100);
  Commit(t.ToSnapshot(), kT0 + kS);
  ASSERT_TRUE(store_->Flush().ok());
  uint64_t second = store_->DiskBytes() - first;
  // A 100-route change in a 50,000-route table costs a small fraction of the table.
  EXPECT_LT(second, first / 20) << "first " << first << " change " << second;
}

TEST_F(StoreTest, PagesThroughThousandsOfVersions) {
  RouteTable t(5);
  std::mt19937 rng(6);
  for (int i = 0; i < 2500; ++i) {
    Commit(t.ToSnapshot(), kT0 + i * kS);
    t.Mutate(&rng, 1);
  }
  VersionHeader latest;
  ASSERT_TRUE(store_->Latest("kernel", &latest).ok());
  uint64_t n = latest.version;
  for (Order order : {Order::kNewestFirst, Order::kOldestFirst}) {
    VersionQuery q;
    q.order = order;
    q.limit = 1000;
    std::vector<uint64_t> seen;
    for (int page = 0; page < 10; ++page) {
      VersionPage p;
      ASSERT_TRUE(store_->ListVersions("kernel", q, &p).ok());
      for (auto& h : p.versions) seen.push_back(h.version);
      if (p.next_cursor.empty()) break;
      q.cursor = p.next_cursor;
    }
    ASSERT_EQ(seen.size(), n);
    for (size_t i = 0; i < seen.size(); ++i) {
      EXPECT_EQ(seen[i], order == Order::kNewestFirst ? n - i : i + 1);
    }
  }
  VersionQuery q;
  q.since_ns = kT0 + 10 * kS;
  q.until_ns = kT0 + 19 * kS;
  q.order = Order::kOldestFirst;
  VersionPage p;
  ASSERT_TRUE(store_->ListVersions("kernel", q, &p).ok());
  ASSERT_FALSE(p.versions.empty());
  for (auto& h : p.versions) {
    EXPECT_GE(h.time_ns, q.since_ns);
    EXPECT_LE(h.time_ns, q.until_ns);
  }
  q.cursor = "nonsense";
  EXPECT_EQ(store_->ListVersions("kernel", q, &p).code(), Status::Code::kInvalidArgument);
}

TEST_F(StoreTest, ReopenKeepsNumberingAndContent) {
  RouteTable t(20);
  std::mt19937 rng(7);
  Commit(t.ToSnapshot(), kT0);
  t.Mutate(&rng, 3);
  Snapshot s2 = t.ToSnapshot();
  Commit(s2, kT0 + kS);
  Reopen();
  VersionHeader h;
  ASSERT_TRUE(store_->Latest("kernel", &h).ok());
  EXPECT_EQ(h.version, 2u);
  t.Mutate(&rng, 3);
  EXPECT_EQ(Commit(t.ToSnapshot(), kT0 + 2 * kS).version, 3u);
  EXPECT_EQ(store_->Sources(), std::vector<std::string>{"kernel"});
}

TEST_F(StoreTest, EventsAreListedInOrderFromATime) {
  for (int i = 0; i < 5; ++i) {
    StoredEvent e;
    e.time_ns = kT0 + i * kS;
    e.type = "audit";
    e.source = "kernel";
    e.json = "{\"n\":" + std::to_string(i) + "}";
    ASSERT_TRUE(store_->AppendEvent(&e).ok());
  }
  std::vector<StoredEvent> out;
  ASSERT_TRUE(store_->ListEvents(0, kT0 + 2 * kS, 100, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].json, "{\"n\":2}");
  ASSERT_TRUE(store_->ListEvents(out[1].id, 0, 100, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].json, "{\"n\":4}");
}

TEST_F(StoreTest, MetaKeyValues) {
  ASSERT_TRUE(store_->PutMeta("rollback/1", "a").ok());
  ASSERT_TRUE(store_->PutMeta("rollback/2", "b").ok());
  ASSERT_TRUE(store_->PutMeta("policy/x", "c").ok());
  std::vector<std::pair<std::string, std::string>> kv;
  ASSERT_TRUE(store_->ListMeta("rollback/", &kv).ok());
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[1].first, "rollback/2");
  ASSERT_TRUE(store_->DeleteMeta("rollback/1").ok());
  std::string v;
  EXPECT_TRUE(store_->GetMeta("rollback/1", &v).IsNotFound());
}

}  // namespace
}  // namespace netsnap
