// The per-key change log against the truth: the changes found by reconstructing every stored
// version, before and after retention thinned the history.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>

#include "common/coding.h"
#include "netsnap/store.h"
#include "store/keylog_entry.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

constexpr int64_t kS = 1000000000;
constexpr int64_t kNow = 1800000000LL * kS;

using Log = std::map<std::string, std::vector<std::pair<uint64_t, std::optional<std::string>>>>;

// What the log must say: for each key, every stored version whose content differs from the
// previous stored version's for that key.
Log Truth(Store* store, const std::string& source) {
  VersionQuery q;
  q.order = Order::kOldestFirst;
  q.limit = 1000;
  Log log;
  Snapshot prev;
  for (;;) {
    VersionPage page;
    EXPECT_TRUE(store->ListVersions(source, q, &page).ok());
    for (const VersionHeader& h : page.versions) {
      Snapshot snap;
      EXPECT_TRUE(store->Reconstruct(source, h.version, &snap).ok());
      for (const Change& c : ComputeDelta(prev, snap)) log[c.key].push_back({h.version, c.value});
      prev = snap;
    }
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  return log;
}

// The log's changes; its `start` entries (a log that started after the oldest version) go to
// *starts when given.
Log Indexed(Store* store, const std::string& source, std::map<std::string, std::string>* starts) {
  std::vector<KeyChange> changes;
  bool truncated = true;
  EXPECT_TRUE(store->KeyHistory(source, KeyHistoryQuery{}, &changes, &truncated).ok());
  EXPECT_FALSE(truncated);
  Log log;
  for (const KeyChange& c : changes) {
    if (!c.start) {
      log[c.key].push_back({c.version, c.value});
      continue;
    }
    EXPECT_TRUE(starts && c.value) << "a start entry where none belongs, or without a value";
    if (starts && c.value) (*starts)[c.key] = *c.value;
  }
  return log;
}

Log Indexed(Store* store, const std::string& source) { return Indexed(store, source, nullptr); }

// The changes of `log` at `from` and after.
Log From(const Log& log, uint64_t from) {
  Log out;
  for (const auto& [key, changes] : log) {
    for (const auto& c : changes) {
      if (c.first >= from) out[key].push_back(c);
    }
  }
  return out;
}

std::vector<VersionHeader> Stored(Store* store, const std::string& source) {
  VersionQuery q;
  q.order = Order::kOldestFirst;
  q.limit = 1000;
  VersionPage page;
  EXPECT_TRUE(store->ListVersions(source, q, &page).ok());
  EXPECT_TRUE(page.next_cursor.empty());
  return page.versions;
}

// Every stored version read from the log as of it, whole and by key, equals its content; and
// the changes it reports around it are the nearest versions at which a record read changed.
// `entries_at_oldest`: the log has entries for the records of the oldest version (the previous
// build wrote them, and retention has not rewritten the log since).
// Versions before the log's start (KeyLogStart) are rebuilt: their records match, and the
// changes around them are unknown.
void ExpectAsOfMatches(Store* store, const std::string& source, bool entries_at_oldest = false) {
  const Log truth = Truth(store, source);
  const std::vector<VersionHeader> stored = Stored(store, source);
  const uint64_t oldest = stored.front().version;
  uint64_t log_start = 0;
  ASSERT_TRUE(store->KeyLogStart(source, &log_start).ok());
  for (const VersionHeader& h : stored) {
    const bool before_log = h.version < log_start;
    Snapshot snap;
    ASSERT_TRUE(store->Reconstruct(source, h.version, &snap).ok());
    AsOfRecords all;
    ASSERT_TRUE(store->ReadAsOf(source, "", false, h.version, &all).ok());
    std::vector<Record> want;
    for (RecordRef r : snap) want.push_back({std::string(r.key), std::string(r.value)});
    EXPECT_EQ(all.records, want) << "version " << h.version;
    EXPECT_EQ(all.before_log, before_log) << "version " << h.version;
    for (const auto& [key, changes] : truth) {
      AsOfRecords one;
      ASSERT_TRUE(store->ReadAsOf(source, key, true, h.version, &one).ok());
      std::optional<RecordRef> in = snap.Find(key);
      ASSERT_EQ(one.records.size(), in ? 1u : 0u) << "version " << h.version;
      if (in) {
        EXPECT_EQ(one.records[0].value, in->value);
      }
      // The truth lists the oldest version's records as appearing there: not a change.
      uint64_t last = 0, next = 0;
      for (const auto& [v, value] : changes) {
        if (before_log || v < log_start) continue;  // not in the log
        if ((v > oldest || entries_at_oldest) && v <= h.version) last = v;
        if (v > h.version && next == 0) next = v;
      }
      EXPECT_EQ(one.last_change, last) << "version " << h.version;
      EXPECT_EQ(one.next_change, next) << "version " << h.version;
    }
  }
}

// Commits `n` versions of random changes to source "s", one every 10 minutes up to `end`.
void Fill(Store* store, int n, unsigned seed, int64_t end = kNow) {
  std::mt19937 rng(seed);
  std::map<std::string, std::string> live;
  // Keys with 0x00 bytes and keys that are prefixes of others, as real record keys have.
  auto key = [](int i) {
    std::string k = "\x01" + std::string(i % 3, '\0') + std::to_string(i);
    return i % 5 == 0 ? k.substr(0, 2) : k;
  };
  for (int v = 0; v < n; ++v) {
    for (int c = 0; c < 3; ++c) {
      std::string k = key(static_cast<int>(rng() % 40));
      if (rng() % 4 == 0) {
        live.erase(k);
      } else {
        // Long values that differ in the middle, as two versions of one route do: the log
        // stores most of these changes as patches.
        live[k] = "proto static dev eth0 mtu " + std::to_string(1400 + rng() % 3) + " weight 1";
      }
    }
    std::vector<Record> recs;
    for (const auto& [k, val] : live) recs.push_back({k, val});
    Snapshot snap;
    ASSERT_TRUE(Snapshot::FromRecords(std::move(recs), &snap).ok());
    CommitInfo ci;
    ci.time_ns = end - (n - v) * 600 * kS;
    VersionHeader h;
    ASSERT_TRUE(store->Commit("s", snap, nullptr, ci, &h).ok());
  }
}

TEST(KeyLog, MatchesEveryVersionBeforeAndAfterRetention) {
  netsnap::testing::TempDir dir;
  std::unique_ptr<Store> store;
  StoreOptions o;
  o.path = dir.Sub("db");
  o.max_chain = 4;  // checkpoints too: the log must not depend on how content is encoded
  ASSERT_TRUE(Store::Open(o, &store).ok());
  Fill(store.get(), 600, 7);  // over about four days
  Log truth = Truth(store.get(), "s");
  ASSERT_GT(truth.size(), 20u);
  EXPECT_EQ(Indexed(store.get(), "s"), truth);
  ExpectAsOfMatches(store.get(), "s");

  RetentionPolicy p;
  p.keep_all_ns = 24 * 3600 * kS;  // then one an hour
  RetentionResult r;
  ASSERT_TRUE(store->ApplyRetention("s", p, kNow, &r).ok());
  ASSERT_GT(r.removed, 100u);
  Log thinned = Truth(store.get(), "s");
  EXPECT_NE(thinned, truth);
  EXPECT_EQ(Indexed(store.get(), "s"), thinned);
  ExpectAsOfMatches(store.get(), "s");

  // A prefix query returns exactly the records under it.
  std::vector<KeyChange> some;
  bool truncated = false;
  KeyHistoryQuery q;
  q.key_prefix = std::string("\x01\0", 2);
  ASSERT_TRUE(store->KeyHistory("s", q, &some, &truncated).ok());
  ASSERT_FALSE(some.empty());
  for (const KeyChange& c : some) EXPECT_EQ(c.key.substr(0, 2), q.key_prefix);
}

// A store whose log the previous build wrote (each record's value from each version on, an
// entry per record of the first version) reads the same, takes new entries after it, and is
// rewritten by retention.
TEST(KeyLog, EntriesOfThePreviousBuildStillRead) {
  netsnap::testing::TempDir dir;
  const std::string path = dir.Sub("db");
  {
    std::unique_ptr<Store> store;
    StoreOptions o;
    o.path = path;
    ASSERT_TRUE(Store::Open(o, &store).ok());
    Fill(store.get(), 300, 11);
    const Log truth = Truth(store.get(), "s");
    store.reset();
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "versions", "content", "times", "events", "meta", "keylog"}) {
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles, &db).ok());
    rocksdb::WriteBatch batch;
    std::string all;
    PutFixed32BE(&all, 1);  // the first source's id
    std::string end;
    PutFixed32BE(&end, 2);
    ASSERT_TRUE(batch.DeleteRange(handles[6], all, end).ok());
    for (const auto& [key, changes] : truth) {
      for (const auto& [version, value] : changes) {
        ASSERT_TRUE(batch
                        .Put(handles[6], store::EntryKey(1, key, version),
                             value ? "\x01" + *value : std::string(1, '\0'))
                        .ok());
      }
    }
    ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &batch).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  std::unique_ptr<Store> store;
  StoreOptions o;
  o.path = path;
  ASSERT_TRUE(Store::Open(o, &store).ok());
  EXPECT_EQ(Indexed(store.get(), "s"), Truth(store.get(), "s"));
  ExpectAsOfMatches(store.get(), "s", true);
  // Entries of this build after those of the previous one.
  VersionHeader h;
  std::vector<Record> recs = {{"\x01new", "proto static mtu 1500"}};
  Snapshot snap;
  ASSERT_TRUE(Snapshot::FromRecords(std::move(recs), &snap).ok());
  ASSERT_TRUE(store->Commit("s", snap, nullptr, {kNow + kS, Cause::kEvent, {}, ""}, &h).ok());
  EXPECT_EQ(Indexed(store.get(), "s"), Truth(store.get(), "s"));
  ExpectAsOfMatches(store.get(), "s", true);
  RetentionPolicy p;
  p.keep_all_ns = 12 * 3600 * kS;
  RetentionResult r;
  ASSERT_TRUE(store->ApplyRetention("s", p, kNow, &r).ok());
  ASSERT_GT(r.removed, 10u);
  EXPECT_EQ(Indexed(store.get(), "s"), Truth(store.get(), "s"));
  ExpectAsOfMatches(store.get(), "s");
}

// A store whose first versions a netsnap without the key log wrote: no entries for them, and no
// `logfrom/` marker. Opened by this build, the log starts with the next version; lookups before
// it rebuild the version, and the change log lists nothing before it but says where it starts,
// also after retention thinned the versions around the start.
TEST(KeyLog, AStoreOlderThanTheLogAnswersFromItsVersions) {
  netsnap::testing::TempDir dir;
  const std::string path = dir.Sub("db");
  {
    std::unique_ptr<Store> store;
    StoreOptions o;
    o.path = path;
    o.max_chain = 8;
    ASSERT_TRUE(Store::Open(o, &store).ok());
    Fill(store.get(), 150, 13, kNow - 150 * 600 * kS);
    uint64_t start = 99;
    ASSERT_TRUE(store->KeyLogStart("s", &start).ok());
    EXPECT_EQ(start, 0u);  // a new source: logged from its first version
  }
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "versions", "content", "times", "events", "meta", "keylog"}) {
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles, &db).ok());
    rocksdb::WriteBatch batch;
    std::string sid, next;
    PutFixed32BE(&sid, 1);  // the first source's id
    PutFixed32BE(&next, 2);
    ASSERT_TRUE(batch.DeleteRange(handles[6], sid, next).ok());
    ASSERT_TRUE(batch.Delete(handles[5], "logfrom/" + sid).ok());
    ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &batch).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  std::unique_ptr<Store> store;
  StoreOptions o;
  o.path = path;
  o.max_chain = 8;
  ASSERT_TRUE(Store::Open(o, &store).ok());
  VersionHeader latest;
  ASSERT_TRUE(store->Latest("s", &latest).ok());
  const uint64_t first = latest.version + 1;  // the first version with entries
  uint64_t start = 0;
  ASSERT_TRUE(store->KeyLogStart("s", &start).ok());
  EXPECT_EQ(start, first);
  ExpectAsOfMatches(store.get(), "s");  // every version before the log: rebuilt
  Fill(store.get(), 150, 14);
  const Log truth = Truth(store.get(), "s");
  std::map<std::string, std::string> starts;
  EXPECT_EQ(Indexed(store.get(), "s", &starts), From(truth, first));
  Snapshot at_start;
  ASSERT_TRUE(store->Reconstruct("s", first - 1, &at_start).ok());
  std::map<std::string, std::string> want;
  for (RecordRef r : at_start) want[std::string(r.key)] = r.value;
  EXPECT_EQ(starts, want);
  ExpectAsOfMatches(store.get(), "s");

  // Thinning across the start: the change at the first kept version after it is from an
  // older version the log does not know; the log starts at the kept version after that one.
  RetentionPolicy p;
  p.keep_all_ns = 12 * 3600 * kS;  // the last 72 versions; then one an hour
  RetentionResult r;
  ASSERT_TRUE(store->ApplyRetention("s", p, kNow, &r).ok());
  ASSERT_GT(r.removed, 100u);
  ASSERT_TRUE(store->KeyLogStart("s", &start).ok());
  std::vector<uint64_t> kept;
  for (const VersionHeader& h : Stored(store.get(), "s")) kept.push_back(h.version);
  ASSERT_LT(kept.front(), first);
  auto known = std::lower_bound(kept.begin(), kept.end(), first - 1);
  ASSERT_NE(*known, first - 1) << "the test needs the version before the start thinned";
  EXPECT_EQ(start, *std::next(known));
  starts.clear();
  EXPECT_EQ(Indexed(store.get(), "s", &starts), From(Truth(store.get(), "s"), start));
  ASSERT_TRUE(store->Reconstruct("s", *known, &at_start).ok());
  want.clear();
  for (RecordRef r : at_start) want[std::string(r.key)] = r.value;
  EXPECT_EQ(starts, want);
  ExpectAsOfMatches(store.get(), "s");
}

}  // namespace
}  // namespace netsnap
