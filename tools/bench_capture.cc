// bench_capture: measurements for tools/bench_capture.sh on a namespace it is given.
//   bench_capture dump NETNS [REPS]      first capture time, then re-dump + canonicalise +
//                                         compare with the current snapshot (best of REPS)
//   bench_capture latency NETNS [N]      single route changes -> delivery, p50/p99 (ms)
//   bench_capture rss NETNS              RSS growth holding the capture vs its canonical size
// Prints `BENCH <name> <value> <unit>` lines and readable figures.
#include <linux/rtnetlink.h>
#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "netsnap/route.h"
#include "netsnap/time.h"
#include "sources/kernel/kernel_config.h"
#include "sources/kernel/kernel_source.h"
#include "sources/kernel/link_names.h"
#include "sources/kernel/netlink_socket.h"
#include "sources/kernel/netns.h"
#include "sources/kernel/route_codec.h"
#include "sources/kernel/state_reader.h"

namespace netsnap {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

class Sink : public CaptureSink {
 public:
  void OnSnapshot(Snapshot s, Cause, const Actor&, int64_t, Writer) override {
    last_ns = NowNs();
    std::lock_guard<std::mutex> l(mu);
    current = std::move(s);
    ++deliveries;
  }
  // Delivery time is taken on arrival: folding into a large snapshot is the recorder's cost.
  void OnChanges(Delta d, Cause, const Actor&, int64_t, Writer) override {
    last_ns = NowNs();
    std::lock_guard<std::mutex> l(mu);
    Snapshot next;
    if (ApplyDelta(current, d, &next).ok()) current = std::move(next);
    ++deliveries;
  }
  void OnError(const Status& e) override {
    std::fprintf(stderr, "error: %s\n", e.ToString().c_str());
  }
  void Count(std::string_view, uint64_t) override {}
  std::mutex mu;
  Snapshot current;
  std::atomic<uint64_t> deliveries{0};
  std::atomic<int64_t> last_ns{0};
};

std::unique_ptr<Source> MakeSource(const std::string& netns, const std::string& extra = "") {
  toml::table t = toml::parse("netns = \"" + netns + "\"\nresync_s = 0\n" + extra);
  std::unique_ptr<Source> src;
  Status s = NewKernelSource({"bench", "kernel", &t}, &src);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    std::exit(1);
  }
  return src;
}

int Dump(const std::string& netns, int reps) {
  // First capture: as the daemon starts (links, next hops, rules, routes -> snapshot).
  auto src = MakeSource(netns);
  Sink sink;
  auto t0 = Clock::now();
  if (!src->Start(&sink).ok()) return 1;
  double first = Seconds(Clock::now() - t0);
  src->Stop();
  Snapshot current = sink.current;
  std::printf("first capture: %zu records, %.3f s\n", current.size(), first);
  std::printf("BENCH capture.first_capture_500k_s %.3f s\n", first);

  // Re-dump, canonicalise and compare with the current snapshot, as a resync does.
  int fd = -1;
  if (!kernel::OpenNetns(netns, &fd).ok()) return 1;
  std::unique_ptr<kernel::NetlinkSocket> sock;
  if (!kernel::RunInNetns(fd, [&] { return kernel::NetlinkSocket::Open({}, 0, &sock); }).ok()) {
    return 1;
  }
  kernel::KernelFilter filter;
  double best = 1e9;
  size_t changes = 0;
  for (int i = 0; i < reps; ++i) {
    auto t = Clock::now();
    kernel::LinkNames links;
    kernel::StateDump dump;
    if (!kernel::ReadLinks(sock.get(), &links).ok() ||
        !kernel::ReadState(sock.get(), filter, links, &dump).ok()) {
      return 1;
    }
    Delta d = ComputeDelta(current, dump.snapshot);
    changes = d.size();
    best = std::min(best, Seconds(Clock::now() - t));
  }
  std::printf("re-dump + canonicalise + compare: %.3f s (best of %d), %zu differences\n", best,
              reps, changes);
  std::printf("REDUMP_S %.6f\n", best);
  return 0;
}

int Latency(const std::string& netns, int n) {
  auto src = MakeSource(netns);
  Sink sink;
  if (!src->Start(&sink).ok()) return 1;
  int fd = -1;
  if (!kernel::OpenNetns(netns, &fd).ok()) return 1;
  std::unique_ptr<kernel::NetlinkSocket> sock;
  if (!kernel::RunInNetns(fd, [&] {
         return kernel::NetlinkSocket::Open({}, 4 << 20, &sock);
       }).ok()) {
    return 1;
  }
  kernel::LinkNames links;
  if (!kernel::ReadLinks(sock.get(), &links).ok()) return 1;
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    Route r;
    // Addresses made here always parse.
    (void)Prefix::Parse("10.200." + std::to_string(i / 256) + "." + std::to_string(i % 256) + "/32",
                        &r.dst);
    (void)Address::Parse("10.99.0.3", &r.gateway);
    std::string msg;
    if (!kernel::EncodeRoute(r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sock->NextSeq(), links,
                             &msg)
             .ok()) {
      return 1;
    }
    uint64_t before = sink.deliveries;
    int64_t t0 = NowNs();
    if (!sock->Transact(msg, [](uint32_t, int, const std::string&) {}).ok()) return 1;
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (sink.deliveries == before && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ms.push_back(static_cast<double>(sink.last_ns - t0) / 1e6);
  }
  src->Stop();
  std::sort(ms.begin(), ms.end());
  double p50 = ms[ms.size() / 2], p99 = ms[ms.size() * 99 / 100];
  std::printf("latency over %d changes (debounce 100 ms): p50 %.1f ms, p99 %.1f ms\n", n, p50, p99);
  std::printf("BENCH capture.latency_p50_ms %.1f ms\n", p50);
  std::printf("BENCH capture.latency_p99_ms %.1f ms\n", p99);
  return 0;
}

int Rss(const std::string& netns) {
  long before = RssKb();
  auto src = MakeSource(netns);
  Sink sink;
  if (!src->Start(&sink).ok()) return 1;
  src->Stop();
  src.reset();
  size_t raw = sink.current.byte_size();
  long after = RssKb();
  double ratio = static_cast<double>(after - before) * 1024.0 / static_cast<double>(raw);
  std::printf("holding %zu records: RSS +%ld KiB, canonical size %zu KiB\n", sink.current.size(),
              after - before, raw / 1024);
  std::printf("BENCH capture.rss_vs_raw_1m %.2f ratio\n", ratio);
  return 0;
}

}  // namespace
}  // namespace netsnap

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_capture dump|latency|rss NETNS [N]\n");
    return 2;
  }
  std::string mode = argv[1], ns = argv[2];
  int n = argc > 3 ? std::atoi(argv[3]) : 0;
  if (mode == "dump") return netsnap::Dump(ns, n ? n : 3);
  if (mode == "latency") return netsnap::Latency(ns, n ? n : 1000);
  if (mode == "rss") return netsnap::Rss(ns);
  return 2;
}
