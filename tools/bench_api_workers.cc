// bench_api_workers: the API's answers that the worker pool and streamed bodies are for, for
// tools/bench_api_workers.sh.
//
//   bench_api_workers fetch DIR
//       serves DIR (seeded by seed_store: "main" has many small versions, "big" a large table)
//       on 127.0.0.1 and measures one whole version of "big" over HTTP (time to the last byte,
//       median of 5) against the old way of answering it, built in memory in this process
//       (Reconstruct, a Boost.JSON array of every record, serialize: what the handler did before
//       bodies were streamed), the peak RSS growth while one response is written, and the p99 of
//       a header page while four clients fetch the version over and over.
//   bench_api_workers probe PORT TARGET STOP_FILE
//       GETs TARGET on 127.0.0.1:PORT every 2 ms until STOP_FILE exists; prints its latencies.
// Prints readable lines and `BENCH <name> <value> <unit>` lines; names carry the table size
// ("100k", "1m").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/chunked_body.h"
#include "api/json.h"
#include "api/server.h"
#include "common/render.h"
#include "core/daemon.h"

namespace {

using namespace netsnap;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// kB of a /proc/self/status line ("VmRSS", "VmHWM").
long StatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return 0;
}

// One GET on a fresh connection (Connection: close), read to the end and thrown away 64 KiB at
// a time, so that the client holds no copy of the answer; the bytes received (status line,
// headers and chunk framing included), or -1 on a failure or a status other than 200.
long Get(uint16_t port, const std::string& target) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n\r\n";
  long total = -1;
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    static thread_local char buf[65536];
    total = 0;
    bool ok = false;
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
      if (total == 0) ok = n >= 12 && std::string_view(buf, 12) == "HTTP/1.1 200";
      total += n;
    }
    if (!ok) total = -1;
  }
  close(fd);
  return total;
}

std::string SizeLabel(uint64_t records) {
  return records >= 1000000 ? std::to_string(records / 1000000) + "m"
                            : std::to_string(records / 1000) + "k";
}

int Fetch(const std::string& dir) {
  DaemonConfig config;
  config.data_dir = dir;
  Daemon daemon(config);
  if (Status s = daemon.Start(); !s.ok()) {
    std::fprintf(stderr, "bench_api_workers: %s\n", s.ToString().c_str());
    return 1;
  }
  api::ApiContext ctx;
  ctx.store = daemon.store();
  ctx.events = daemon.events();
  ctx.metrics = daemon.metrics();
  ApiOptions opts;
  opts.listen = "127.0.0.1:0";
  std::unique_ptr<ApiServer> server;
  if (Status s = ApiServer::Start(ctx, opts, &server); !s.ok()) {
    std::fprintf(stderr, "bench_api_workers: %s\n", s.ToString().c_str());
    return 1;
  }
  VersionHeader h;
  if (Status s = daemon.store()->Latest("big", &h); !s.ok()) {
    std::fprintf(stderr, "bench_api_workers: no source 'big': %s\n", s.ToString().c_str());
    return 1;
  }
  std::string label = SizeLabel(h.records);
  std::string target = "/v1/sources/big/versions/" + std::to_string(h.version);
  uint16_t port = server->port();
  std::printf("# a whole version of %llu records (%s)\n",
              static_cast<unsigned long long>(h.records), label.c_str());

  long rss_before = StatusKb("VmRSS");
  {
    std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current RSS
  }
  long bytes = Get(port, target);
  long peak_growth_kb = StatusKb("VmHWM") - rss_before;
  if (bytes < 0) {
    std::fprintf(stderr, "bench_api_workers: GET %s failed\n", target.c_str());
    return 1;
  }
  std::vector<double> streamed, rendered, built;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    if (Get(port, target) != bytes) return 1;
    streamed.push_back(Ms(Clock::now() - t0));
  }
  // The server's share of a streamed answer: what the handler and its pieces do, without the
  // socket and the client.
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    Snapshot snap;
    if (!daemon.store()->Reconstruct("big", h.version, &snap).ok()) return 1;
    std::string piece;
    api::AppendVersionJson(h, &piece);
    for (RecordRef r : snap) {
      AppendRecordJson(r, &piece);
      if (piece.size() >= api::ChunkedBody::kPieceBytes) piece.clear();
    }
    rendered.push_back(Ms(Clock::now() - t0));
  }
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    Snapshot snap;
    if (!daemon.store()->Reconstruct("big", h.version, &snap).ok()) return 1;
    boost::json::object out = api::VersionJson(h);
    boost::json::array records;
    records.reserve(snap.size());
    for (RecordRef r : snap) records.push_back(RecordToJson(r));
    out["records"] = std::move(records);
    std::string body = boost::json::serialize(out);
    built.push_back(Ms(Clock::now() - t0));
  }
  double new_ms = Percentile(streamed, 0.5), render_ms = Percentile(rendered, 0.5),
         old_ms = Percentile(built, 0.5);
  std::printf(
      "%ld bytes; over HTTP to the last byte %.1f ms; server side in pieces %.1f ms; old "
      "in-memory build %.1f ms (medians of 5; the last two without socket or client); "
      "peak RSS growth during one response %.1f MB\n",
      bytes, new_ms, render_ms, old_ms, peak_growth_kb / 1024.0);
  std::printf("BENCH api.version_%s_ms %.1f ms\n", label.c_str(), new_ms);
  std::printf("BENCH api.version_%s_server_ms %.1f ms\n", label.c_str(), render_ms);
  std::printf("BENCH api.version_%s_old_build_ms %.1f ms\n", label.c_str(), old_ms);
  std::printf("BENCH api.version_%s_old_over_server_ratio %.2f x\n", label.c_str(),
              old_ms / render_ms);
  std::printf("BENCH api.version_%s_old_over_http_ratio %.2f x\n", label.c_str(), old_ms / new_ms);
  std::printf("BENCH api.version_%s_peak_rss_mb %.1f MB\n", label.c_str(), peak_growth_kb / 1024.0);

  // Header pages while four clients fetch the version, for at least 10 s and 4 fetches in all.
  std::atomic<bool> stop{false};
  std::atomic<int> fetches{0};
  std::vector<std::thread> fetchers;
  for (int i = 0; i < 4; ++i) {
    fetchers.emplace_back([&] {
      while (!stop) {
        if (Get(port, target) == bytes) ++fetches;
      }
    });
  }
  std::vector<double> pages;
  auto end = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < end || fetches < 4) {
    auto t0 = Clock::now();
    if (Get(port, "/v1/sources/main/versions?limit=50") < 0) return 1;
    pages.push_back(Ms(Clock::now() - t0));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (std::thread& t : fetchers) t.join();
  std::printf(
      "header page while 4 clients fetch the version (%d fetches): %zu pages, p50 %.2f "
      "ms, p99 %.2f ms, max %.2f ms\n",
      fetches.load(), pages.size(), Percentile(pages, 0.5), Percentile(pages, 0.99),
      Percentile(pages, 1.0));
  std::printf("BENCH api.header_p99_during_version_fetch_%s_ms %.2f ms\n", label.c_str(),
              Percentile(pages, 0.99));
  server->Stop();
  daemon.Stop();
  return 0;
}

int Probe(uint16_t port, const std::string& target, const std::string& stop_file) {
  std::vector<double> ms;
  int failures = 0;
  while (access(stop_file.c_str(), F_OK) != 0) {
    auto t0 = Clock::now();
    if (Get(port, target) < 0) ++failures;
    ms.push_back(Ms(Clock::now() - t0));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::printf("%s: %zu answers (%d failed), p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              target.c_str(), ms.size(), failures, Percentile(ms, 0.5), Percentile(ms, 0.99),
              Percentile(ms, 1.0));
  std::printf("P99 %.2f\nMAX %.2f\nCOUNT %zu\nFAILED %d\n", Percentile(ms, 0.99),
              Percentile(ms, 1.0), ms.size(), failures);
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fetch" && argc == 3) return Fetch(argv[2]);
  if (mode == "probe" && argc == 5) {
    return Probe(static_cast<uint16_t>(std::stoi(argv[2])), argv[3], argv[4]);
  }
  std::fprintf(stderr,
               "usage: bench_api_workers fetch DIR | bench_api_workers probe PORT TARGET "
               "STOP_FILE\n");
  return 2;
}
