// Benchmark of automated restore (issue 7): in a network namespace holding a 100,000-route
// table, a script deletes 30% of the routes; the daemon's detection restores them. Measures the
// time from the start of the deletion (before `ip -batch` is started) to the `restore` event with
// outcome "applied" (the rollback applied and verified), over repeated runs, and prints p50 and
// p99, and the parts that add up to it: the deletion itself, the wait from its end to the start
// of the restore (capture debounce, commit, inspection and settle_ms), and the restore:
//
//   BENCH restore.whole_again_p50_ms <v> ms
//   BENCH restore.whole_again_p99_ms <v> ms
//   BENCH restore.deletion_p50_ms <v> ms
//   BENCH restore.start_after_deletion_end_p50_ms <v> ms
//   BENCH restore.rollback_p50_ms <v> ms
//
// Usage: bench_restore [--routes N] [--runs N] [--share 0.3] [--settle-ms 300]
// Needs root (creates and deletes namespace "nsbench-<pid>"); never touches the host's routes.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include "core/config.h"
#include "core/daemon.h"
#include "detect/detection.h"
#include "gen/route_gen.h"
#include "restore/rollback_manager.h"

namespace {

using Clock = std::chrono::steady_clock;

int Run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string BatchLine(const netsnap::Route& r) {
  std::string line = netsnap::tools::IpBatchLine(r);
  return line.starts_with("-6 ") ? line.substr(3) : line;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"automated restore benchmark"};
  size_t routes = 100000;
  int runs = 10;
  double share = 0.3;
  int settle_ms = 300;
  app.add_option("--routes", routes, "routes in the namespace");
  app.add_option("--runs", runs, "repetitions");
  app.add_option("--share", share, "share of the routes deleted each run");
  app.add_option("--settle-ms", settle_ms, "the policy's settle delay");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  std::string ns = "nsbench-" + std::to_string(getpid());
  std::string dir = "/tmp/" + ns;
  Run("ip netns del " + ns);
  if (Run("ip netns add " + ns) != 0) {
    std::fprintf(stderr, "cannot create namespace %s (root needed)\n", ns.c_str());
    return 1;
  }
  Run("mkdir -p " + dir);
  auto cleanup = [&] {
    Run("ip netns del " + ns);
    Run("rm -rf " + dir);
  };
  for (const char* s : {"link set lo up", "link add a0 type veth peer name b0", "link set a0 up",
                        "link set b0 up", "addr add 10.99.0.1/24 dev a0",
                        "addr add 10.99.0.2/24 dev b0", "addr add fd00:99::1/64 dev a0 nodad"}) {
    Run("ip -n " + ns + " " + s);
  }
  netsnap::tools::GenOptions go;
  go.routes = routes;
  std::vector<netsnap::Route> table = netsnap::tools::GenerateRoutes(go);
  {
    std::ofstream add(dir + "/add.batch");
    for (const auto& r : table) add << BatchLine(r) << "\n";
  }
  auto t_load = Clock::now();
  if (Run("ip -n " + ns + " -batch " + dir + "/add.batch") != 0) {
    std::fprintf(stderr, "loading the routes failed\n");
    cleanup();
    return 1;
  }
  std::printf("loaded %zu routes in %.0f ms\n", routes, Ms(Clock::now() - t_load));

  netsnap::DaemonConfig config;
  std::string toml =
      "[daemon]\ndata_dir = \"" + dir + "/data\"\n[[source]]\nname = \"k\"\n" +
      "kind = \"kernel\"\nnetns = \"/run/netns/" + ns + "\"\n[[policy]]\n" +
      "source = \"k\"\naction = \"restore\"\nsettle_ms = " + std::to_string(settle_ms) +
      "\ncooldown_s = 0\n" + "max_restores_per_hour = 3600\nconflict_repeats = 1000\n";
  netsnap::Status s = netsnap::ParseConfig(toml, "bench", &config);
  auto daemon = std::make_unique<netsnap::Daemon>(config);
  if (s.ok()) s = daemon->Start();
  auto rollbacks =
      std::make_unique<netsnap::RollbackManager>(netsnap::RollbackDeps::Of(daemon.get()));
  if (s.ok()) s = rollbacks->Start();
  std::unique_ptr<netsnap::Detection> detection;
  if (s.ok()) s = netsnap::Detection::Create(daemon.get(), rollbacks.get(), config, &detection);
  if (!s.ok()) {
    std::fprintf(stderr, "daemon: %s\n", s.ToString().c_str());
    cleanup();
    return 1;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<Clock::time_point, std::string>> restores;
  Clock::time_point first_detection{};
  daemon->events()->Subscribe([&](const netsnap::StoredEvent& e) {
    if (e.type == "detection") {
      std::lock_guard l(mu);
      if (first_detection == Clock::time_point{}) first_detection = Clock::now();
      return;
    }
    if (e.type != "restore") return;
    std::lock_guard l(mu);
    restores.emplace_back(Clock::now(), e.json);
    cv.notify_all();
  });
  size_t whole = daemon->FindSource("k")->current().size();

  std::vector<double> whole_again, after_delete, deletion, start_after, rollback;
  for (int run = 0; run < runs; ++run) {
    {
      std::ofstream del(dir + "/del.batch");
      size_t period = 1000, cut = static_cast<size_t>(share * 1000);
      for (size_t i = 0; i < table.size(); ++i) {
        if ((i + static_cast<size_t>(run) * 97) % period < cut) {
          std::string line = BatchLine(table[i]);
          line.replace(line.find("route add"), 9, "route del");
          del << line << "\n";
        }
      }
    }
    size_t seen;
    {
      std::lock_guard l(mu);
      seen = restores.size();
    }
    {
      std::lock_guard l(mu);
      first_detection = {};
    }
    auto t0 = Clock::now();
    if (Run("ip -n " + ns + " -batch " + dir + "/del.batch") != 0) {
      std::fprintf(stderr, "run %d: the deletion script failed\n", run);
    }
    auto t_deleted = Clock::now();
    Clock::time_point t1;
    std::string outcome, restore_json;
    {
      std::unique_lock l(mu);
      bool ok = cv.wait_for(l, std::chrono::seconds(120), [&] {
        for (size_t i = seen; i < restores.size(); ++i) {
          if (restores[i].second.find("\"outcome\":\"applied\"") != std::string::npos) {
            t1 = restores[i].first;
            restore_json = restores[i].second;
            return true;
          }
        }
        return false;
      });
      if (!ok) {
        std::fprintf(stderr, "run %d: no restore within 120 s\n", run);
        break;
      }
    }
    // Whole again in the recorder's view too (the kernel's notifications of the restore).
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (daemon->FindSource("k")->current().size() != whole && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    bool complete = daemon->FindSource("k")->current().size() == whole;
    whole_again.push_back(Ms(t1 - t0));
    after_delete.push_back(Ms(t1 - t_deleted));
    double rollback_ms = 0;
    if (size_t at = restore_json.find("\"total_ms\":"); at != std::string::npos) {
      rollback_ms = std::strtod(restore_json.c_str() + at + 11, nullptr);
    }
    netsnap::Rollback rb;
    std::string id;
    if (size_t at = restore_json.find("\"rollback\":\""); at != std::string::npos) {
      id = restore_json.substr(at + 12, restore_json.find('"', at + 12) - at - 12);
    }
    if (id.empty() || !rollbacks->Get(id, &rb).ok()) rb = {};
    deletion.push_back(Ms(t_deleted - t0));
    start_after.push_back(Ms(t1 - t_deleted) - rollback_ms);
    rollback.push_back(rollback_ms);
    std::printf(
        "run %d: deletion %.0f ms, first detection at %.0f ms, rollback %.0f ms (plan %.0f, "
        "apply %.0f, verify %.0f) started %.0f ms after the deletion ended, whole again %.0f ms "
        "after the deletion began%s\n",
        run, Ms(t_deleted - t0), Ms(first_detection - t0), rollback_ms, rb.plan_ms, rb.apply_ms,
        rb.verify_ms, Ms(t1 - t_deleted) - rollback_ms, whole_again.back(),
        complete ? "" : " (INCOMPLETE)");
    std::fflush(stdout);
    detection->WaitIdle(std::chrono::seconds(30));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  // The capture kept up when it never overflowed (an overflow costs a full re-dump).
  const double overflows =
      daemon->metrics()->Get("netsnap_netlink_overflows_total", {{"source", "k"}});
  detection->Stop();
  rollbacks->Stop();
  daemon->Stop();
  detection.reset();
  rollbacks.reset();
  daemon.reset();
  cleanup();
  std::printf("BENCH restore.runs %zu runs\n", whole_again.size());
  if (whole_again.empty()) return 1;
  std::printf("BENCH restore.whole_again_p50_ms %.1f ms\n", Percentile(whole_again, 50));
  std::printf("BENCH restore.whole_again_p99_ms %.1f ms\n", Percentile(whole_again, 99));
  std::printf("BENCH restore.after_deletion_end_p50_ms %.1f ms\n", Percentile(after_delete, 50));
  std::printf("BENCH restore.deletion_p50_ms %.1f ms\n", Percentile(deletion, 50));
  std::printf("BENCH restore.start_after_deletion_end_p50_ms %.1f ms\n",
              Percentile(start_after, 50));
  std::printf("BENCH restore.rollback_p50_ms %.1f ms\n", Percentile(rollback, 50));
  std::printf("BENCH restore.netlink_overflows %.0f count\n", overflows);
  return 0;
}
