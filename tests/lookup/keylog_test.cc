// The per-key change log against the truth: the changes found by reconstructing every stored
// version, before and after retention thinned the history.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "store/store.h"
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

Log Indexed(Store* store, const std::string& source) {
  std::vector<KeyChange> changes;
  bool truncated = true;
  EXPECT_TRUE(store->KeyHistory(source, KeyHistoryQuery{}, &changes, &truncated).ok());
  EXPECT_FALSE(truncated);
  Log log;
  for (const KeyChange& c : changes) log[c.key].push_back({c.version, c.value});
  return log;
}

TEST(KeyLog, MatchesEveryVersionBeforeAndAfterRetention) {
  netsnap::testing::TempDir dir;
  std::unique_ptr<Store> store;
  StoreOptions o;
  o.path = dir.Sub("db");
  o.max_chain = 4;  // checkpoints too: the log must not depend on how content is encoded
  ASSERT_TRUE(Store::Open(o, &store).ok());
  std::mt19937 rng(7);
  std::map<std::string, std::string> live;
  // Keys with 0x00 bytes and keys that are prefixes of others, as real record keys have.
  auto key = [](int i) {
    std::string k = "\x01" + std::string(i % 3, '\0') + std::to_string(i);
    return i % 5 == 0 ? k.substr(0, 2) : k;
  };
  const int n = 600;  // one version every 10 minutes, over about four days
  for (int v = 0; v < n; ++v) {
    for (int c = 0; c < 3; ++c) {
      std::string k = key(static_cast<int>(rng() % 40));
      if (rng() % 4 == 0) {
        live.erase(k);
      } else {
        live[k] = "v" + std::to_string(rng() % 3);
      }
    }
    std::vector<Record> recs;
    for (const auto& [k, val] : live) recs.push_back({k, val});
    Snapshot snap;
    ASSERT_TRUE(Snapshot::FromRecords(std::move(recs), &snap).ok());
    CommitInfo ci;
    ci.time_ns = kNow - (n - v) * 600 * kS;
    VersionHeader h;
    ASSERT_TRUE(store->Commit("s", snap, nullptr, ci, &h).ok());
  }
  Log truth = Truth(store.get(), "s");
  ASSERT_GT(truth.size(), 20u);
  EXPECT_EQ(Indexed(store.get(), "s"), truth);

  RetentionPolicy p;
  p.keep_all_ns = 24 * 3600 * kS;  // then one an hour
  RetentionResult r;
  ASSERT_TRUE(store->ApplyRetention("s", p, kNow, &r).ok());
  ASSERT_GT(r.removed, 100u);
  Log thinned = Truth(store.get(), "s");
  EXPECT_NE(thinned, truth);
  EXPECT_EQ(Indexed(store.get(), "s"), thinned);

  // A prefix query returns exactly the records under it.
  std::vector<KeyChange> some;
  bool truncated = false;
  KeyHistoryQuery q;
  q.key_prefix = std::string("\x01\0", 2);
  ASSERT_TRUE(store->KeyHistory("s", q, &some, &truncated).ok());
  ASSERT_FALSE(some.empty());
  for (const KeyChange& c : some) EXPECT_EQ(c.key.substr(0, 2), q.key_prefix);
}

}  // namespace
}  // namespace netsnap
