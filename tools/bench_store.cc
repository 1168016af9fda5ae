// bench_store: the store's speed and size on a realistic table (default 1,000,000 routes).
// Prints a readable report and `BENCH <name> <value> <unit>` lines.
//   bench_store [--routes N] [--dir DIR]
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "gen/route_gen.h"
#include "netsnap/store.h"
#include "netsnap/time.h"

using namespace netsnap;

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Bench(const char* name, double value, const char* unit) {
  std::printf("BENCH %s %.6g %s\n", name, value, unit);
}

void Die(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "bench_store: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// Deletes a third, re-points a third and adds a third of `n` routes.
Delta MakeChange(const Snapshot& base, size_t n, std::mt19937_64& rng, uint32_t round) {
  Delta d;
  for (size_t i = 0; i < n; ++i) {
    RecordRef r = base.at(rng() % base.size());
    if (i % 3 == 0) {
      d.push_back({std::string(r.key), std::nullopt});
    } else if (i % 3 == 1) {
      Route rt;
      Die(Route::FromRecord(r, &rt), "decode");
      rt.metrics = {{2, 1400 + round}};
      d.push_back({std::string(r.key), rt.ToRecord().value});
    } else {
      Route rt;
      rt.dst.family = 2;
      rt.dst.len = 32;
      uint32_t a = static_cast<uint32_t>(rng());
      for (int k = 0; k < 4; ++k) rt.dst.addr[k] = static_cast<uint8_t>(a >> (8 * k));
      rt.table = 254;
      (void)Address::Parse("10.99.0.3", &rt.gateway);  // a constant that parses
      rt.dev = "a0";
      Record rec = rt.ToRecord();
      d.push_back({rec.key, rec.value});
    }
  }
  NormalizeDelta(&d);
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  size_t routes = 1000000;
  std::string dir = "/tmp/netsnap-bench-store";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--routes") routes = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--dir") dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  std::string label = routes % 1000000 == 0 ? std::to_string(routes / 1000000) + "m"
                                            : std::to_string(routes / 1000) + "k";

  tools::GenOptions go;
  go.routes = routes;
  std::vector<Route> table = tools::GenerateRoutes(go);
  std::vector<Record> records;
  records.reserve(table.size());

  // Full ingest: from canonical records (as a source delivers them) to the sorted snapshot and
  // the stored first version.
  std::unique_ptr<Store> store;
  StoreOptions so;
  so.path = dir;
  Die(Store::Open(so, &store), "open");
  auto te = std::chrono::steady_clock::now();
  for (const Route& r : table) records.push_back(r.ToRecord());
  double encode_s = Since(te);
  auto t0 = std::chrono::steady_clock::now();
  Snapshot first;
  Die(Snapshot::FromRecords(std::move(records), &first), "snapshot");
  double build_s = Since(t0);
  auto t1 = std::chrono::steady_clock::now();
  VersionHeader h;
  Die(store->Commit("kernel", first, nullptr, {NowNs(), Cause::kStartup, {}, ""}, &h), "commit");
  double commit_s = Since(t1);
  double ingest_s = Since(t0);
  Die(store->Flush(), "flush");
  uint64_t first_bytes = store->DiskBytes();
  std::string canonical = first.Encode();
  std::string z(ZSTD_compressBound(canonical.size()), '\0');
  size_t zn = ZSTD_compress(z.data(), z.size(), canonical.data(), canonical.size(), 3);

  // 100-route changes, each with the delta the recorder hands over.
  std::mt19937_64 rng(7);
  Snapshot cur = first;
  const int kChanges = 50;
  double change_total = 0, change_max = 0;
  uint64_t changed_routes = 0;
  for (int i = 0; i < kChanges; ++i) {
    Delta d = MakeChange(cur, 100, rng, static_cast<uint32_t>(i));
    Snapshot next;
    Die(ApplyDelta(cur, d, &next), "apply");
    changed_routes += d.size();
    auto tc = std::chrono::steady_clock::now();
    Die(store->Commit("kernel", next, &d, {NowNs(), Cause::kEvent, {}, ""}, &h), "commit change");
    double s = Since(tc);
    change_total += s;
    change_max = std::max(change_max, s);
    cur = next;
  }
  Die(store->Flush(), "flush");
  uint64_t after_bytes = store->DiskBytes();
  uint64_t latest = h.version;

  // Reconstruct from disk: reopen so that no cached snapshot helps.
  store.reset();
  Die(Store::Open(so, &store), "reopen");
  auto tr = std::chrono::steady_clock::now();
  Snapshot got;
  Die(store->Reconstruct("kernel", latest, &got), "reconstruct latest");
  double rec_latest = Since(tr);
  tr = std::chrono::steady_clock::now();
  Die(store->Reconstruct("kernel", latest / 2, &got), "reconstruct old");
  double rec_old = Since(tr);
  tr = std::chrono::steady_clock::now();
  Die(store->Reconstruct("kernel", 1, &got), "reconstruct first");
  double rec_first = Since(tr);
  auto td = std::chrono::steady_clock::now();
  Diff diff;
  Die(store->DiffVersions("kernel", 2, latest, &diff), "diff");
  double diff_s = Since(td);

  // The same changes with every write synced (StoreOptions.sync): what a version costs when it
  // must survive a power loss at once rather than within the grouped 100 ms WAL sync.
  store.reset();
  StoreOptions synced = so;
  synced.sync = true;
  Die(Store::Open(synced, &store), "reopen synced");
  double synced_total = 0;
  for (int i = 0; i < kChanges; ++i) {
    Delta d = MakeChange(cur, 100, rng, static_cast<uint32_t>(kChanges + i));
    Snapshot next;
    Die(ApplyDelta(cur, d, &next), "apply");
    auto tc = std::chrono::steady_clock::now();
    Die(store->Commit("kernel", next, &d, {NowNs(), Cause::kEvent, {}, ""}, &h), "commit synced");
    synced_total += Since(tc);
    cur = next;
  }

  double bpr_first = static_cast<double>(first_bytes) / static_cast<double>(routes);
  double bpr_changed =
      static_cast<double>(after_bytes - first_bytes) / static_cast<double>(changed_routes);
  std::printf("store benchmark, %zu routes (%s), %d changes of 100 routes\n", routes, label.c_str(),
              kChanges);
  std::printf(
      "  full ingest        %.3f s (sort and build %.3f s, commit %.3f s); encoding the\n"
      "                     routes as records before that took %.3f s\n",
      ingest_s, build_s, commit_s, encode_s);
  std::printf("  100-route change   %.2f ms mean, %.2f ms max\n", change_total / kChanges * 1e3,
              change_max * 1e3);
  std::printf("  synced change      %.2f ms mean (every write fsynced)\n",
              synced_total / kChanges * 1e3);
  std::printf("  first version      %.2f bytes/route on disk (canonical %.1f, zstd -3 %.2f)\n",
              bpr_first, static_cast<double>(canonical.size()) / routes,
              static_cast<double>(zn) / routes);
  std::printf("  later versions     %.1f bytes/changed route\n", bpr_changed);
  std::printf("  reconstruct        latest %.1f ms, v%lu %.1f ms, v1 %.1f ms\n", rec_latest * 1e3,
              static_cast<unsigned long>(latest / 2), rec_old * 1e3, rec_first * 1e3);
  std::printf("  diff v2..v%lu        %.1f ms (%zu added, %zu removed, %zu changed)\n",
              static_cast<unsigned long>(latest), diff_s * 1e3, diff.added.size(),
              diff.removed.size(), diff.changed.size());
  std::string n = "store.";
  Bench((n + "ingest_full_" + label + "_s").c_str(), ingest_s, "s");
  Bench((n + "change100_" + label + "_ms").c_str(), change_total / kChanges * 1e3, "ms");
  Bench((n + "change100_max_" + label + "_ms").c_str(), change_max * 1e3, "ms");
  Bench((n + "change100_synced_" + label + "_ms").c_str(), synced_total / kChanges * 1e3, "ms");
  Bench("store.bytes_per_route_first", bpr_first, "bytes");
  Bench("store.bytes_per_changed_route", bpr_changed, "bytes");
  Bench((n + "reconstruct_latest_" + label + "_ms").c_str(), rec_latest * 1e3, "ms");
  Bench((n + "reconstruct_old_" + label + "_ms").c_str(), std::max(rec_old, rec_first) * 1e3, "ms");
  Bench((n + "diff_" + label + "_ms").c_str(), diff_s * 1e3, "ms");
  Bench("store.vs_raw_canonical", static_cast<double>(first_bytes) / canonical.size(), "ratio");
  Bench("store.vs_zstd3", static_cast<double>(first_bytes) / static_cast<double>(zn), "ratio");
  std::filesystem::remove_all(dir);
  return 0;
}
