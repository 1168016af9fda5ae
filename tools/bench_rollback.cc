// bench_rollback: measurements for tools/bench_rollback.sh on a namespace it is given.
//   bench_rollback load NETNS N TABLE DAMAGE_FILE
//       adds N generated IPv4 routes to TABLE with batched rtnetlink, and writes the damage of
//       the benchmark as `ip -batch` lines: 1,000 routes deleted, 1,000 re-pointed (other gateway)
//   bench_rollback rollback NETNS DATA_DIR DAMAGE_FILE TABLE
//       an in-process daemon with the kernel source on NETNS records the table (version G); the
//       damage is applied with `ip -batch`; RollbackManager::Submit back to G is timed. Then the
//       table is flushed and the full rollback (force + reason) to G is timed, with peak RSS
//   bench_rollback dryrun NETNS DATA_DIR N TABLE
//       loads N routes, records them (G), deletes 1,000, and times dry-run plans back to G
// Prints `BENCH <name> <value> <unit>` lines and readable figures; exits non-zero when a
// rollback does not end equal to its target.
#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/daemon.h"
#include "gen/route_gen.h"
#include "netsnap/route.h"
#include "restore/rollback_manager.h"
#include "sources/kernel/kernel_source.h"

namespace netsnap {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "bench_rollback: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

void Check(const std::string& what, const Status& s) {
  if (!s.ok()) Die(what, s);
}

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::char_traits<char>::length(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0) return std::stol(line.substr(n));
  }
  return 0;
}

// Resets the process's peak RSS (VmHWM) to its current RSS.
void ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}

int Run(const std::string& command) {
  int rc = std::system(command.c_str());
  if (rc != 0) std::fprintf(stderr, "bench_rollback: '%s' exited with %d\n", command.c_str(), rc);
  return rc;
}

std::vector<Route> Generate(size_t n, uint32_t table) {
  tools::GenOptions o;
  o.routes = n;
  o.ipv6_share = 0;
  o.multipath_share = 0;
  o.tables = 1;
  o.seed = 7;
  std::vector<Route> routes = tools::GenerateRoutes(o);
  for (Route& r : routes) r.table = table;
  return routes;
}

std::unique_ptr<Source> KernelSourceOn(const std::string& netns) {
  toml::table t = toml::parse("netns = \"" + netns + "\"\nresync_s = 0\n");
  std::unique_ptr<Source> src;
  Check("kernel source", NewKernelSource({"bench", "kernel", &t}, &src));
  return src;
}

// Adds (or, with remove, deletes) `routes` with batched rtnetlink; returns seconds.
double ApplyRoutes(Source* src, const std::vector<Route>& routes, bool remove = false) {
  Delta delta;
  delta.reserve(routes.size());
  for (const Route& r : routes) {
    Record rec = r.ToRecord();
    delta.push_back({std::move(rec.key), remove ? std::nullopt : std::optional(rec.value)});
  }
  ApplyResult result;
  auto t0 = Clock::now();
  Check("apply", src->Apply(delta, &result));
  double secs = Ms(Clock::now() - t0) / 1000;
  if (!result.failures.empty()) {
    Die("apply", Status::Internal(std::to_string(result.failures.size()) +
                                  " failures, first: " + result.failures[0].message));
  }
  return secs;
}

int Load(const std::string& netns, size_t n, uint32_t table, const std::string& damage_file) {
  std::vector<Route> routes = Generate(n, table);
  auto src = KernelSourceOn(netns);
  double secs = ApplyRoutes(src.get(), routes);
  std::printf("loaded %zu routes into table %u with batched rtnetlink in %.2f s\n", routes.size(),
              table, secs);
  // The damage: every 500th route deleted, every 500th (offset 250) re-pointed.
  std::ofstream out(damage_file);
  size_t deleted = 0, repointed = 0;
  bool repoint = false;  // the next route with a gateway is re-pointed
  for (size_t i = 0; i < routes.size(); ++i) {
    Route r = routes[i];
    if (i % 500 == 250) repoint = repointed < 1000;
    if (i % 500 == 0 && deleted < 1000) {
      std::string line = tools::IpBatchLine(r);
      out << "route del" << line.substr(line.find(" add") + 4) << "\n";
      ++deleted;
    } else if (repoint && !r.gateway.empty()) {
      repoint = false;
      Address other;
      (void)Address::Parse(r.gateway.ToString() == "10.99.0.250" ? "10.99.0.251" : "10.99.0.250",
                           &other);  // constants that parse
      r.gateway = other;
      std::string line = tools::IpBatchLine(r);
      out << "route replace" << line.substr(line.find(" add") + 4) << "\n";
      ++repointed;
    }
  }
  std::printf("damage: %zu deletions, %zu overwrites -> %s\n", deleted, repointed,
              damage_file.c_str());
  return 0;
}

struct Bench {
  std::unique_ptr<Daemon> daemon;
  Recorder* rec = nullptr;
  std::unique_ptr<RollbackManager> rm;

  Bench(const std::string& netns, const std::string& data_dir) {
    std::string toml = "[daemon]\ndata_dir = \"" + data_dir +
                       "\"\n[[source]]\nname = \"k\"\nkind = \"kernel\"\nnetns = \"" + netns +
                       "\"\nresync_s = 0\n";
    DaemonConfig cfg;
    Check("config", ParseConfig(toml, "bench.toml", &cfg));
    daemon = std::make_unique<Daemon>(cfg);
    auto t0 = Clock::now();
    Check("daemon start", daemon->Start());
    rec = daemon->FindSource("k");
    std::printf("daemon started, first capture of %zu records stored, in %.0f ms\n",
                rec->current().size(), Ms(Clock::now() - t0));
    rm = std::make_unique<RollbackManager>(RollbackDeps::Of(daemon.get()));
    Check("rollback manager", rm->Start());
  }
  ~Bench() {
    rm->Stop();
    daemon->Stop();
  }

  uint64_t Latest() { return rec->state().latest.version; }
  // Delivers what the source has seen so far (the damage) before anything is timed.
  void Settle() { Check("sync", rec->source()->Sync()); }

  Rollback Submit(RollbackRequest req, double* ms) {
    req.source = "k";
    req.actor = "bench";
    Rollback rb;
    auto t0 = Clock::now();
    Check("rollback", rm->Submit(req, &rb));
    *ms = Ms(Clock::now() - t0);
    return rb;
  }

  // Whether the recorder's state is the live state (a sanity check, not timed).
  bool RecorderAgrees() {
    Snapshot live;
    Check("read live", rec->source()->ReadLive(&live));
    Snapshot mine = rec->current();
    SourceState st = rec->state();
    if (mine.hash() == live.hash()) return true;
    std::fprintf(stderr,
                 "bench_rollback: the recorder holds %zu records (version %llu, state %s %s), "
                 "the kernel %zu\n",
                 mine.size(), static_cast<unsigned long long>(st.latest.version), st.state.c_str(),
                 st.error.c_str(), live.size());
    return false;
  }

  bool LiveEquals(uint64_t version) {
    Snapshot live, want;
    Check("read live", rec->source()->ReadLive(&live));
    Check("reconstruct", daemon->store()->Reconstruct("k", version, &want));
    return live.hash() == want.hash();
  }
};

void Show(const char* what, const Rollback& rb, double ms) {
  std::printf(
      "%s: %.1f ms (plan %.1f, apply %.1f, verify %.1f), state %s, +%llu -%llu ~%llu, "
      "%zu failures%s%s\n",
      what, ms, rb.plan_ms, rb.apply_ms, rb.verify_ms,
      std::string(RollbackStateName(rb.state)).c_str(), static_cast<unsigned long long>(rb.adds),
      static_cast<unsigned long long>(rb.removes), static_cast<unsigned long long>(rb.replaces),
      rb.failures.size(), rb.error.empty() ? "" : ", ", rb.error.c_str());
}

int Rollbacks(const std::string& netns, const std::string& data_dir, const std::string& damage,
              uint32_t table) {
  Bench b(netns, data_dir);
  const uint64_t good = b.Latest();

  // (a) 1,000 deleted and 1,000 overwritten.
  if (Run("ip -n " + netns + " -batch " + damage) != 0) return 1;
  b.Settle();
  {
    auto t0 = Clock::now();
    Snapshot live;
    Check("read live", b.rec->source()->ReadLive(&live));
    std::printf("for reference: one full read of the live state (%zu records): %.0f ms\n",
                live.size(), Ms(Clock::now() - t0));
  }
  RollbackRequest req;
  req.to = std::to_string(good);
  double ms = 0;
  Rollback rb = b.Submit(req, &ms);
  Show("rollback of 1,000 deleted + 1,000 overwritten", rb, ms);
  if (rb.state != RollbackState::kApplied || !b.LiveEquals(good)) {
    std::fprintf(stderr, "bench_rollback: the partial rollback did not restore the table\n");
    return 1;
  }
  std::printf("PARTIAL_MS %.3f\n", ms);

  // (b) The table wiped.
  auto tf = Clock::now();
  if (Run("ip -n " + netns + " route flush table " + std::to_string(table)) != 0) return 1;
  std::printf("ip route flush table %u: %.0f ms\n", table, Ms(Clock::now() - tf));
  b.Settle();
  if (!b.RecorderAgrees()) return 1;
  req.force = true;
  req.reason = "benchmark: the table was wiped";
  const long rss_before = StatusKb("VmRSS:");
  ResetPeakRss();
  rb = b.Submit(req, &ms);
  const long peak = StatusKb("VmHWM:");
  Show("full rollback of the wiped table", rb, ms);
  if (rb.state != RollbackState::kApplied || !b.LiveEquals(good)) {
    std::fprintf(stderr, "bench_rollback: the full rollback did not restore the table\n");
    return 1;
  }
  std::printf("daemon RSS before the full rollback %.0f MB, peak during it %.0f MB\n",
              rss_before / 1024.0, peak / 1024.0);
  std::printf("FULL_MS %.3f\n", ms);
  std::printf("BENCH rollback.full_rss_mb %.0f MB\n", peak / 1024.0);
  return 0;
}

int DryRun(const std::string& netns, const std::string& data_dir, size_t n, uint32_t table) {
  std::vector<Route> routes = Generate(n, table);
  {
    auto src = KernelSourceOn(netns);
    std::printf("loaded %zu routes with batched rtnetlink in %.2f s\n", routes.size(),
                ApplyRoutes(src.get(), routes));
  }
  Bench b(netns, data_dir);
  const uint64_t good = b.Latest();
  std::vector<Route> gone;
  const size_t stride = std::max<size_t>(1, routes.size() / 1000);
  for (size_t i = 0; i < routes.size() && gone.size() < 1000; i += stride) {
    gone.push_back(routes[i]);
  }
  ApplyRoutes(b.rec->source(), gone, /*remove=*/true);
  b.Settle();
  RollbackRequest req;
  req.to = std::to_string(good);
  req.dry_run = true;
  std::vector<double> times;
  for (int i = 0; i < 3; ++i) {
    double ms = 0;
    Rollback rb = b.Submit(req, &ms);
    Show("dry run", rb, ms);
    if (rb.state != RollbackState::kPlanned || rb.adds != gone.size()) {
      std::fprintf(stderr, "bench_rollback: unexpected dry-run plan\n");
      return 1;
    }
    times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  std::printf("dry-run plan against a %zu-record live state: median of 3 %.1f ms\n",
              b.rec->current().size(), times[1]);
  std::printf("BENCH rollback.dry_run_1m_ms %.1f ms\n", times[1]);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: bench_rollback load NETNS N TABLE DAMAGE_FILE\n"
               "       bench_rollback rollback NETNS DATA_DIR DAMAGE_FILE TABLE\n"
               "       bench_rollback dryrun NETNS DATA_DIR N TABLE\n");
  return 2;
}

}  // namespace
}  // namespace netsnap

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 5 && a[0] == "load") {
    return netsnap::Load(a[1], std::stoul(a[2]), static_cast<uint32_t>(std::stoul(a[3])), a[4]);
  }
  if (a.size() == 5 && a[0] == "rollback") {
    return netsnap::Rollbacks(a[1], a[2], a[3], static_cast<uint32_t>(std::stoul(a[4])));
  }
  if (a.size() == 5 && a[0] == "dryrun") {
    return netsnap::DryRun(a[1], a[2], std::stoul(a[3]), static_cast<uint32_t>(std::stoul(a[4])));
  }
  return netsnap::Usage();
}
