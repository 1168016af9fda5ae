#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <random>
#include <set>

#include "netsnap/store.h"
#include "route_tables.h"
#include "store/content_codec.h"
#include "store/version_codec.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::RouteTable;
using testing::TempDir;

constexpr int64_t kS = 1000000000;
constexpr int64_t kHour = 3600 * kS;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kNow = 1800000000LL * kS;

TEST(Retention, ThinsByAgeAndKeepsNewestAndPinned) {
  TempDir dir;
  std::unique_ptr<Store> store;
  StoreOptions o;
  o.path = dir.Sub("db");
  o.max_chain = 5;
  ASSERT_TRUE(Store::Open(o, &store).ok());
  RouteTable t(200);
  std::mt19937 rng(11);
  std::vector<Snapshot> history;
  std::vector<int64_t> times;
  std::vector<uint64_t> numbers;
  // Every 20 minutes for 40 days, ending one minute ago.
  int n = 40 * 72;
  for (int i = 0; i < n; ++i) {
    int64_t when = kNow - (n - i) * 20 * 60 * kS;
    history.push_back(t.ToSnapshot());
    times.push_back(when);
    VersionHeader h;
    ASSERT_TRUE(
        store->Commit("kernel", history.back(), nullptr, {when, Cause::kEvent, {}, ""}, &h).ok());
    if (!numbers.empty() && numbers.back() == h.version) {  // unchanged: no new version
      history.pop_back();
      times.pop_back();
    } else {
      numbers.push_back(h.version);
    }
    t.Mutate(&rng, 1 + rng() % 5);
  }
  uint64_t pinned = 100;  // about 38 days old: would go without the pin
  ASSERT_TRUE(store->Pin("kernel", pinned, "open rollback").ok());
  RetentionPolicy p;
  p.keep_all_ns = 2 * kDay;
  p.hourly_ns = 10 * kDay;
  p.daily_ns = 30 * kDay;
  RetentionResult r;
  ASSERT_TRUE(store->ApplyRetention("kernel", p, kNow, &r).ok());
  EXPECT_GT(r.removed, 0u);

  std::set<int64_t> hours, days;
  n = static_cast<int>(numbers.size());
  for (int i = 0; i < n; ++i) {
    uint64_t v = numbers[i];
    int64_t age = kNow - times[i];
    bool want;
    if (age < p.keep_all_ns)
      want = true;
    else if (age < p.hourly_ns)
      want = hours.insert(times[i] / kHour).second;
    else if (age < p.daily_ns)
      want = days.insert(times[i] / kDay).second;
    else
      want = false;
    if (v == pinned || i == n - 1) want = true;
    VersionHeader h;
    Status s = store->Header("kernel", v, &h);
    EXPECT_EQ(s.ok(), want) << "version " << v << " age " << age / kHour << "h";
    if (want) {
      Snapshot snap;
      Status rs = store->Reconstruct("kernel", v, &snap);
      ASSERT_TRUE(rs.ok()) << v << ": " << rs.ToString();
      EXPECT_EQ(snap.Encode(), history[i].Encode()) << "version " << v;
    }
  }
  // The store keeps working after thinning.
  t.Mutate(&rng, 3);
  VersionHeader h;
  ASSERT_TRUE(
      store->Commit("kernel", t.ToSnapshot(), nullptr, {kNow, Cause::kEvent, {}, ""}, &h).ok());
  EXPECT_EQ(h.version, numbers.back() + 1);
  Snapshot snap;
  ASSERT_TRUE(store->Reconstruct("kernel", h.version - 1, &snap).ok());
}

// The store's RocksDB opened directly, to change it behind the store's back.
struct RawDb {
  explicit RawDb(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "versions", "content", "times", "events", "meta", "keylog"}) {
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    if (!rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles, &db).ok()) db = nullptr;
  }
  ~RawDb() {
    if (!db) return;
    for (auto* x : handles) db->DestroyColumnFamilyHandle(x);
    delete db;
  }
  bool ok() const { return db != nullptr; }
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // in the order above
};

// Commits versions 1 to 3 of `t` to the store at o.path (times kNow + 0..2, notes "n0".."n2"),
// changing `changes` routes between them, and closes the store.
void WriteThreeVersions(const StoreOptions& o, RouteTable* t, std::mt19937* rng, uint32_t changes) {
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(o, &store).ok());
  for (int i = 0; i < 3; ++i) {
    VersionHeader h;
    ASSERT_TRUE(store
                    ->Commit("kernel", t->ToSnapshot(), nullptr,
                             {kNow + i, Cause::kEvent, {}, "n" + std::to_string(i)}, &h)
                    .ok());
    t->Mutate(rng, changes);
  }
}

TEST(Corruption, AReconstructThatDoesNotMatchItsHashIsAnError) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.Sub("db");
  RouteTable t(50);
  std::mt19937 rng(12);
  WriteThreeVersions(o, &t, &rng, 4);
  // Replace version 2's delta with another, well-formed one.
  {
    RawDb raw(o.path);
    ASSERT_TRUE(raw.ok());
    rocksdb::DB* db = raw.db;
    const std::vector<rocksdb::ColumnFamilyHandle*>& h = raw.handles;
    store::ContentMeta meta;
    meta.checkpoint = false;
    meta.base = 1;
    meta.chain = 1;
    Delta bogus = {{testing::RouteRecord(7, 3).key, testing::RouteRecord(7, 3).value}};
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[2], store::VersionKey(1, 2),
                        store::EncodeDelta(bogus, meta, 3))
                    .ok());
  }
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(o, &store).ok());
  Snapshot s;
  Status st = store->Reconstruct("kernel", 2, &s);
  EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();
  EXPECT_TRUE(store->Reconstruct("kernel", 1, &s).ok());
}

TEST(Compatibility, PagesReadHeadersFromAnIndexWrittenWithoutThem) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.Sub("db");
  RouteTable t(20);
  std::mt19937 rng(13);
  WriteThreeVersions(o, &t, &rng, 2);
  // Stores written before the time index held header copies have empty index values.
  {
    RawDb raw(o.path);
    ASSERT_TRUE(raw.ok());
    rocksdb::DB* db = raw.db;
    const std::vector<rocksdb::ColumnFamilyHandle*>& h = raw.handles;
    for (uint64_t v = 1; v <= 3; ++v) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[3],
                          store::TimeKey(1, kNow + static_cast<int64_t>(v) - 1, v), "")
                      .ok());
    }
  }
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(o, &store).ok());
  VersionPage page;
  ASSERT_TRUE(store->ListVersions("kernel", VersionQuery{}, &page).ok());
  ASSERT_EQ(page.versions.size(), 3u);
  EXPECT_EQ(page.versions[0].version, 3u);
  EXPECT_EQ(page.versions[0].note, "n2");
  EXPECT_EQ(page.versions[2].note, "n0");
}

}  // namespace
}  // namespace netsnap
