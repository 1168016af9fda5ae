// The retention runner over months of synthetic history, with an injected clock: exact counts
// of versions, events and journal entries after a pass, pins kept, disk bytes fall, and the
// disk budget thins the keep-all tier further.
#include "core/retention_runner.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "store/route_tables.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::RouteTable;
using testing::TempDir;

constexpr int64_t kS = 1000000000;
constexpr int64_t kMin = 60 * kS;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kNow = 1800000000LL * kS;  // a whole hour

struct History {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::vector<std::pair<uint64_t, int64_t>> versions;  // number, time
};

// A version every 20 minutes for `days` days, ending 20 minutes before kNow.
void Build(History* h, int days) {
  StoreOptions o;
  o.path = h->dir.Sub("db");
  ASSERT_TRUE(Store::Open(o, &h->store).ok());
  RouteTable t(300);
  std::mt19937 rng(7);
  const int n = days * 72;
  for (int i = 0; i < n; ++i) {
    t.Mutate(&rng, 3);
    int64_t when = kNow - (n - i) * 20 * kMin;
    VersionHeader v;
    ASSERT_TRUE(
        h->store->Commit("k", t.ToSnapshot(), nullptr, {when, Cause::kEvent, {}, ""}, &v).ok());
    if (h->versions.empty() || h->versions.back().first != v.version) {
      h->versions.emplace_back(v.version, when);
    }
  }
}

uint64_t CountVersions(Store* store) {
  uint64_t n = 0;
  VersionQuery q;
  q.limit = 1000;
  for (;;) {
    VersionPage page;
    EXPECT_TRUE(store->ListVersions("k", q, &page).ok());
    n += page.versions.size();
    if (page.next_cursor.empty()) return n;
    q.cursor = page.next_cursor;
  }
}

// Versions the tiers keep (written out from docs/store.md, independently of retention.cc).
uint64_t Expected(const std::vector<std::pair<uint64_t, int64_t>>& versions,
                  const RetentionPolicy& p, uint64_t pinned) {
  std::set<int64_t> hours, days;
  uint64_t kept = 0;
  for (size_t i = 0; i < versions.size(); ++i) {
    int64_t t = versions[i].second, age = kNow - t;
    bool keep = i + 1 == versions.size() || versions[i].first == pinned;
    if (age < p.keep_all_ns)
      keep = true;
    else if (age < p.hourly_ns)
      keep = hours.insert(t / kHour).second || keep;
    else if (age < p.daily_ns)
      keep = days.insert(t / kDay).second || keep;
    kept += keep;
  }
  return kept;
}

TEST(RetentionRunner, RemovesExactlyWhatTheSettingsSayAndTheDiskShrinks) {
  History h;
  ASSERT_NO_FATAL_FAILURE(Build(&h, 60));
  // A pin on a version 45 days old, beyond the daily tier below.
  uint64_t pinned = 0;
  for (auto& [v, t] : h.versions) {
    if (kNow - t > 45 * kDay) pinned = v;
  }
  ASSERT_TRUE(h.store->Pin("k", pinned, "open rollback").ok());

  // 480 events, one every 6 hours for 120 days.
  for (int i = 0; i < 480; ++i) {
    StoredEvent e{0, kNow - i * 6 * kHour - kS, "detection", "k", "{}"};
    ASSERT_TRUE(h.store->AppendEvent(&e).ok());
  }
  // Rollback journal entries: two finished and old go; in progress, young or unreadable stay.
  auto entry = [](const char* state, int64_t updated) {
    return std::string("{\"id\":\"1\",\"state\":\"") + state +
           "\",\"updated_ns\":" + std::to_string(updated) + "}";
  };
  ASSERT_TRUE(
      h.store->PutMeta("rollback/000000000001", entry("confirmed", kNow - 400 * kDay)).ok());
  ASSERT_TRUE(h.store->PutMeta("rollback/000000000002", entry("failed", kNow - 400 * kDay)).ok());
  ASSERT_TRUE(
      h.store->PutMeta("rollback/000000000003", entry("awaiting_confirmation", kNow - 400 * kDay))
          .ok());
  ASSERT_TRUE(h.store->PutMeta("rollback/000000000004", entry("applying", kNow - 400 * kDay)).ok());
  ASSERT_TRUE(h.store->PutMeta("rollback/000000000005", entry("reverted", kNow - 10 * kDay)).ok());
  ASSERT_TRUE(h.store->PutMeta("rollback/000000000006", "not json").ok());
  ASSERT_TRUE(h.store->PutMeta("rollback-next", "7").ok());

  RetentionSettings s;
  s.versions.keep_all_ns = 2 * kDay;
  s.versions.hourly_ns = 10 * kDay;
  s.versions.daily_ns = 30 * kDay;
  s.events_ns = 90 * kDay;
  s.max_events = 300;
  s.rollbacks_ns = 365 * kDay;
  Metrics metrics;
  TestClock clock(kNow);
  RetentionRunner runner(h.store.get(), s, 0, &metrics, &clock);
  int64_t idem_before = 0;
  runner.SetIdempotencyPruner([&](int64_t before, uint64_t* removed) {
    idem_before = before;
    *removed = 4;
    return Status::OK();
  });

  ASSERT_TRUE(h.store->Flush().ok());
  const uint64_t expected = Expected(h.versions, s.versions, pinned);
  ASSERT_LT(expected, h.versions.size() / 4);
  RetentionReport r;
  ASSERT_TRUE(runner.RunOnce(&r).ok());

  EXPECT_EQ(CountVersions(h.store.get()), expected);
  EXPECT_EQ(r.versions, h.versions.size() - expected);
  VersionHeader pin;
  EXPECT_TRUE(h.store->Header("k", pinned, &pin).ok()) << "the pinned version went";
  Snapshot snap;
  EXPECT_TRUE(h.store->Reconstruct("k", pinned, &snap).ok());

  std::vector<StoredEvent> events;
  ASSERT_TRUE(h.store->ListEvents(0, 0, 1000, &events).ok());
  EXPECT_EQ(events.size(), 300u);
  EXPECT_EQ(r.events, 180u);
  EXPECT_GE(events.front().time_ns, kNow - 90 * kDay);

  std::vector<std::pair<std::string, std::string>> journal;
  ASSERT_TRUE(h.store->ListMeta("rollback/", &journal).ok());
  std::set<std::string> left;
  for (auto& [k, v] : journal) left.insert(k.substr(k.size() - 1));
  EXPECT_EQ(left, (std::set<std::string>{"3", "4", "5", "6"}));
  EXPECT_EQ(r.rollbacks, 2u);
  std::string next;
  EXPECT_TRUE(h.store->GetMeta("rollback-next", &next).ok());

  EXPECT_EQ(idem_before, kNow - 24 * kHour);
  EXPECT_EQ(r.idempotency, 4u);

  EXPECT_LT(r.disk_after, r.disk_before / 2) << r.disk_before << " -> " << r.disk_after;
  EXPECT_EQ(metrics.Get("netsnap_retention_runs_total"), 1);
  EXPECT_EQ(metrics.Get("netsnap_retention_removed_total", {{"kind", "versions"}}),
            static_cast<double>(r.versions));
  EXPECT_EQ(metrics.Get("netsnap_retention_removed_total", {{"kind", "events"}}), 180);
  EXPECT_EQ(metrics.Get("netsnap_retention_removed_total", {{"kind", "rollbacks"}}), 2);
  EXPECT_EQ(metrics.Get("netsnap_retention_removed_total", {{"kind", "idempotency"}}), 4);
  EXPECT_EQ(metrics.Get("netsnap_retention_last_run_timestamp_seconds"), kNow / kS);

  // A second pass a day later (on the injected clock) removes what aged out since.
  clock.Advance(kDay);
  RetentionReport r2;
  ASSERT_TRUE(runner.RunOnce(&r2).ok());
  EXPECT_GT(r2.versions, 0u);
  EXPECT_EQ(metrics.Get("netsnap_retention_runs_total"), 2);
}

TEST(RetentionRunner, OverTheDiskBudgetThinsTheKeepAllTierOldestFirst) {
  History h;
  ASSERT_NO_FATAL_FAILURE(Build(&h, 10));
  RetentionSettings s;
  s.versions.keep_all_ns = 8 * kDay;
  s.versions.hourly_ns = 30 * kDay;
  s.versions.daily_ns = 0;
  Metrics metrics;
  TestClock clock(kNow);
  {
    RetentionRunner plain(h.store.get(), s, 0, &metrics, &clock);
    RetentionReport r;
    ASSERT_TRUE(plain.RunOnce(&r).ok());
    ASSERT_EQ(r.keep_all_ns, 8 * kDay);
  }
  const uint64_t before = CountVersions(h.store.get());
  const uint64_t budget = h.store->DiskBytes() * 2 / 3;
  RetentionRunner runner(h.store.get(), s, budget, &metrics, &clock);
  RetentionReport r;
  ASSERT_TRUE(runner.RunOnce(&r).ok());
  EXPECT_LT(r.keep_all_ns, 8 * kDay);
  EXPECT_GT(r.versions, 0u);
  EXPECT_EQ(CountVersions(h.store.get()), before - r.versions);
  EXPECT_EQ(r.over_budget, r.disk_after > budget);
  EXPECT_TRUE(!r.over_budget || r.keep_all_ns == kHour);
  // What went is the oldest part of the keep-all tier: the youngest versions are all there.
  RetentionPolicy p = s.versions;
  p.keep_all_ns = r.keep_all_ns;
  EXPECT_EQ(CountVersions(h.store.get()), Expected(h.versions, p, 0));
  EXPECT_EQ(metrics.Get("netsnap_disk_budget_bytes"), static_cast<double>(budget));
}

}  // namespace
}  // namespace netsnap
