// Benchmark of the history questions (issue 18): a table of --routes routes with --versions
// versions of churn (--churn routes changed each), then
//   history.lookup_p99_ms         a lookup (rule walk and route) at a random past version, read
//                                 from the key log as the API does
//   history.lookup_held_p99_ms    the same lookup and the run of versions it held for
//   history.record_history_p99_ms the change log of one churned route
//   history.index_overhead_share  the keylog column family's share of the store's bytes
//   history.commit_100_p50_ms / _p99_ms  commit time of a --churn-route change, index included
// The figure is 1M routes and 10,000 versions; the scale used is printed.
#include <malloc.h>
#include <rocksdb/db.h>
#include <rocksdb/perf_context.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "gen/route_gen.h"
#include "lookup/answer_interval.h"
#include "lookup/fib_lookup.h"
#include "lookup/record_reader.h"
#include "netsnap/rule.h"
#include "netsnap/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using netsnap::Status;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double P(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

size_t Arg(int argc, char** argv, const char* name, size_t def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) return std::strtoull(argv[i + 1], nullptr, 10);
  }
  return def;
}

// The store's bytes per column family, read from a closed store.
void ColumnFamilyBytes(const std::string& path, uint64_t* keylog, uint64_t* total) {
  std::vector<std::string> names;
  rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const std::string& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, cfs, &handles, &db).ok()) return;
  *keylog = *total = 0;
  for (size_t i = 0; i < handles.size(); ++i) {
    uint64_t bytes = 0;
    db->GetIntProperty(handles[i], "rocksdb.total-sst-files-size", &bytes);
    *total += bytes;
    if (names[i] == "keylog") *keylog = bytes;
    std::printf("column family %-8s %12llu bytes\n", names[i].c_str(),
                static_cast<unsigned long long>(bytes));
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

}  // namespace

int main(int argc, char** argv) {
  // Each version's table is a copy of the last with --churn records changed (ApplyDelta, one
  // allocation of the whole table). glibc serves allocations that large with a fresh mmap and
  // unmaps them on free, so every copy page-faulted the whole table in again: at 1M routes that
  // was 80% of the run's time (perf), none of it in what is measured. From the heap they are
  // reused.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  const size_t routes = Arg(argc, argv, "--routes", 1000000);
  const size_t versions = Arg(argc, argv, "--versions", 10000);
  const size_t churn = Arg(argc, argv, "--churn", 100);
  std::printf("scale: %zu routes, %zu versions, %zu routes changed per version\n", routes, versions,
              churn);
  const std::string dir = std::filesystem::temp_directory_path() / "nstest-bench-history";
  std::filesystem::remove_all(dir);
  std::unique_ptr<netsnap::Store> store;
  netsnap::StoreOptions o;
  o.path = dir;
  o.wal_sync_ms = static_cast<int>(Arg(argc, argv, "--wal-sync-ms", 100));
  Check(netsnap::Store::Open(o, &store), "open");

  netsnap::tools::GenOptions g;
  g.routes = routes;
  g.ipv6_share = 0;
  std::vector<netsnap::Route> table = netsnap::tools::GenerateRoutes(g);
  std::vector<netsnap::Record> recs;
  for (uint32_t t : {254u, 100u, 101u}) {
    netsnap::Rule r;
    r.priority = t == 254 ? 32766 : 100 + t;
    r.table = t;
    r.fwmark = t == 254 ? 0 : t;
    r.fwmask = r.fwmark ? 0xffffffff : 0;
    recs.push_back(r.ToRecord());
  }
  for (const netsnap::Route& r : table) recs.push_back(r.ToRecord());
  netsnap::Snapshot snap;
  Check(netsnap::Snapshot::FromRecords(std::move(recs), &snap), "snapshot");
  const auto seed_start = Clock::now();
  std::mt19937 rng(5);
  int64_t t0 = 1800000000LL * 1000000000;
  netsnap::VersionHeader h;
  Check(store->Commit("k", snap, nullptr, {t0, netsnap::Cause::kStartup, {}, ""}, &h), "commit");
  std::vector<double> commit_ms;
  std::vector<std::string> churned;
  for (size_t v = 1; v < versions; ++v) {
    netsnap::Delta delta;
    for (size_t c = 0; c < churn; ++c) {
      netsnap::Route r = table[rng() % table.size()];
      r.metrics = {{2, static_cast<uint32_t>(1000 + rng() % 500)}};  // an mtu change
      netsnap::Record rec = r.ToRecord();
      if (churned.size() < 1000) churned.push_back(rec.key);
      delta.push_back({rec.key, rec.value});
    }
    netsnap::NormalizeDelta(&delta);
    netsnap::Snapshot next;
    Check(netsnap::ApplyDelta(snap, delta, &next), "apply");
    auto start = Clock::now();
    Check(store->Commit("k", next, &delta,
                        {t0 + static_cast<int64_t>(v) * 1000000000, netsnap::Cause::kEvent, {}, ""},
                        &h),
          "commit");
    commit_ms.push_back(Ms(Clock::now() - start));
    snap = next;
  }

  std::printf("seeded in %.1f s\n", Ms(Clock::now() - seed_start) / 1000);
  // The reads below are of files, as in a daemon that has run a while: not of the memtables,
  // which at 1M routes still held the whole log (0 blocks read per lookup).
  Check(store->Flush(), "flush");
  Check(store->Compact(), "compact");
  std::vector<double> lookup_ms, held_ms, history_ms;
  // Where a lookup's time goes: blocks read from files (cache misses) per lookup.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableTimeExceptForMutex);
  uint64_t blocks_read = 0, cache_hits = 0, read_ns = 0, decompress_ns = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t v = 1 + rng() % versions;
    const netsnap::Route& r = table[rng() % table.size()];
    netsnap::lookup::Flow f;
    f.dst.family = r.dst.family;
    std::copy(std::begin(r.dst.addr), std::end(r.dst.addr), std::begin(f.dst.addr));
    auto ask = [&](uint64_t version, netsnap::lookup::AsOfAnswer* out) -> Status {
      netsnap::lookup::KeyLogReader reader(store.get(), "k", version);
      netsnap::lookup::Answer a;
      NETSNAP_RETURN_IF_ERROR(netsnap::lookup::FibLookup(&reader, f, &a));
      out->fingerprint = a.route ? a.route->key + a.route->value : "";
      out->last_change = reader.last_change();
      out->next_change = reader.next_change();
      out->before_log = reader.before_log();
      return Status::OK();
    };
    rocksdb::get_perf_context()->Reset();
    auto start = Clock::now();
    netsnap::lookup::AsOfAnswer answer;
    Check(ask(v, &answer), "lookup");
    lookup_ms.push_back(Ms(Clock::now() - start));
    const rocksdb::PerfContext& pc = *rocksdb::get_perf_context();
    blocks_read += pc.block_read_count;
    cache_hits += pc.block_cache_hit_count;
    read_ns += pc.block_read_time;
    decompress_ns += pc.block_decompress_time;
    netsnap::VersionHeader at;
    Check(store->Header("k", v, &at), "header");
    netsnap::lookup::Held held;
    Check(netsnap::lookup::AnswerHeld(store.get(), "k", at, answer, ask, 256, &held), "held");
    held_ms.push_back(Ms(Clock::now() - start));

    netsnap::KeyHistoryQuery q;
    q.key_prefix = churned[rng() % churned.size()];
    std::vector<netsnap::KeyChange> log;
    bool truncated = false;
    start = Clock::now();
    Check(store->KeyHistory("k", q, &log, &truncated), "history");
    history_ms.push_back(Ms(Clock::now() - start));
  }
  const double n = static_cast<double>(lookup_ms.size());
  std::printf(
      "a lookup: p50 %.3f ms, max %.3f ms; %.1f blocks read from files (%.3f ms, "
      "%.3f ms decompressing), %.1f block cache hits\n",
      P(lookup_ms, 0.5), P(lookup_ms, 1), static_cast<double>(blocks_read) / n,
      static_cast<double>(read_ns) / n / 1e6, static_cast<double>(decompress_ns) / n / 1e6,
      static_cast<double>(cache_hits) / n);
  store.reset();
  uint64_t keylog = 0, total = 0;
  ColumnFamilyBytes(dir, &keylog, &total);
  std::filesystem::remove_all(dir);

  std::printf("BENCH history.lookup_p99_ms %.3f ms\n", P(lookup_ms, 0.99));
  std::printf("BENCH history.lookup_held_p99_ms %.3f ms\n", P(held_ms, 0.99));
  std::printf("BENCH history.record_history_p99_ms %.3f ms\n", P(history_ms, 0.99));
  std::printf("BENCH history.index_overhead_share %.3f share\n",
              total ? static_cast<double>(keylog) / static_cast<double>(total) : 0.0);
  std::printf("BENCH history.commit_%zu_p50_ms %.3f ms\n", churn, P(commit_ms, 0.5));
  std::printf("BENCH history.commit_%zu_p99_ms %.3f ms\n", churn, P(commit_ms, 0.99));
  return 0;
}
