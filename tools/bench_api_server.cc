// bench_api_server: snapshotd's API over a seeded data directory, for tools/bench_api.sh.
//
//   bench_api_server DIR [CAPTURE_ROUTES]
//
// Prints "PORT <n>" once listening on 127.0.0.1 (ephemeral port) with a token file (the token
// printed as "TOKEN <t>") and on the Unix socket DIR/api.sock ("SOCKET <path>"), then serves
// until stdin closes. With CAPTURE_ROUTES, a source "capture" is captured over and over on its own
// thread (as a real source's thread would): each capture builds a CAPTURE_ROUTES-route snapshot
// with 1,000 routes changed from the previous one and commits it.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "api/server.h"
#include "core/daemon.h"
#include "gen/route_gen.h"
#include "netsnap/time.h"

namespace {

using namespace netsnap;

// A source whose live state is a generated table that changes on every read.
class GeneratedSource : public Source {
 public:
  GeneratedSource(size_t routes) : Source("capture") {
    tools::GenOptions o;
    o.routes = routes;
    for (const Route& r : tools::GenerateRoutes(o)) records_.push_back(r.ToRecord());
    std::sort(records_.begin(), records_.end(),
              [](const Record& a, const Record& b) { return a.key < b.key; });
    changed_ = records_;
  }
  std::string_view kind() const override { return "generated"; }
  std::string where() const override { return "memory"; }
  Status Start(CaptureSink*) override { return Status::OK(); }
  void Stop() override {}
  Status ReadLive(Snapshot* out) override {
    // Alternate between the table and a copy with 1,000 values changed; build it record by
    // record as a real capture does.
    const std::vector<Record>& from = (reads_++ % 2) ? changed_ : records_;
    if (changed_[0].value == records_[0].value) {
      for (size_t i = 0; i < changed_.size(); i += changed_.size() / 1000) {
        changed_[i].value.push_back('\0');
      }
    }
    SnapshotBuilder b;
    for (const Record& r : from) b.Add(r.key, r.value);
    return b.Finish(out);
  }
  Status Apply(const Delta&, ApplyResult*) override { return Status::OK(); }

 private:
  std::vector<Record> records_, changed_;
  uint64_t reads_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_api_server DIR [CAPTURE_ROUTES]\n");
    return 2;
  }
  umask(077);  // as snapshotd: the token file and the store are the server's alone
  DaemonConfig config;
  config.data_dir = argv[1];
  Daemon daemon(config);
  if (Status s = daemon.Start(); !s.ok()) {
    std::fprintf(stderr, "bench_api_server: %s\n", s.ToString().c_str());
    return 1;
  }
  size_t capture_routes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0;
  std::unique_ptr<Recorder> recorder;
  api::ApiContext ctx;
  ctx.store = daemon.store();
  ctx.events = daemon.events();
  ctx.metrics = daemon.metrics();
  if (capture_routes) {
    recorder = std::make_unique<Recorder>(std::make_unique<GeneratedSource>(capture_routes),
                                          daemon.store(), daemon.metrics(), daemon.events());
    if (Status s = recorder->Start(); !s.ok()) {
      std::fprintf(stderr, "bench_api_server: %s\n", s.ToString().c_str());
      return 1;
    }
    ctx.sources.push_back(recorder.get());
  }
  ApiOptions opts;
  opts.listen = "127.0.0.1:0";
  opts.max_connections = 1024;
  opts.max_connections_per_client = 1024;
  opts.socket = config.data_dir + "/api.sock";
  opts.token_file = config.data_dir + "/tokens";
  const std::string token = "bench-viewer-token-0123456789";
  {
    std::FILE* f = std::fopen(opts.token_file.c_str(), "w");
    if (!f || std::fprintf(f, "%s viewer bench\n", token.c_str()) < 0 || std::fclose(f) != 0 ||
        chmod(opts.token_file.c_str(), 0600) != 0) {
      std::fprintf(stderr, "bench_api_server: cannot write %s\n", opts.token_file.c_str());
      return 1;
    }
  }
  std::unique_ptr<ApiServer> server;
  if (Status s = ApiServer::Start(ctx, opts, &server); !s.ok()) {
    std::fprintf(stderr, "bench_api_server: %s\n", s.ToString().c_str());
    return 1;
  }
  std::atomic<bool> stop{false};
  std::atomic<int> captures{0};
  std::thread capturer;
  if (recorder) {
    capturer = std::thread([&] {
      while (!stop) {
        VersionHeader h;
        Status s = recorder->CaptureNow(Cause::kPeriodic, Actor{}, "", &h);
        if (!s.ok()) std::fprintf(stderr, "capture: %s\n", s.ToString().c_str());
        ++captures;
      }
    });
  }
  std::printf("TOKEN %s\nSOCKET %s\nPORT %u\n", token.c_str(), opts.socket.c_str(), server->port());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  stop = true;
  if (capturer.joinable()) capturer.join();
  server->Stop();
  if (recorder) {
    std::fprintf(stderr, "bench_api_server: %d captures of %zu routes\n", captures.load(),
                 capture_routes);
    recorder->Stop();
  }
  daemon.Stop();
  return 0;
}
