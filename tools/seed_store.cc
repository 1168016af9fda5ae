// seed_store: fills a daemon data directory (DIR/store) for API benchmarks.
//
//   seed_store DIR [VERSIONS] [BIG_ROUTES]
//
// Source "main": VERSIONS versions (default 100,000) of a 50-route table, one route changing
// per version, one a second ending now. Source "big": 3 versions of a BIG_ROUTES-route table
// (default 100,000) from the realistic route generator.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gen/route_gen.h"
#include "netsnap/store.h"
#include "netsnap/time.h"

namespace {

using namespace netsnap;

int Fail(const Status& s) {
  std::fprintf(stderr, "seed_store: %s\n", s.ToString().c_str());
  return 1;
}

Snapshot Build(const std::vector<Route>& routes) {
  std::vector<Record> records;
  records.reserve(routes.size());
  for (const Route& r : routes) records.push_back(r.ToRecord());
  Snapshot s;
  (void)Snapshot::FromRecords(std::move(records), &s);  // distinct routes: distinct keys
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: seed_store DIR [VERSIONS] [BIG_ROUTES]\n");
    return 2;
  }
  std::string dir = argv[1];
  uint64_t versions = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100000;
  size_t big_routes = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 100000;
  StoreOptions so;
  so.path = dir + "/store";
  std::unique_ptr<Store> store;
  if (Status s = Store::Open(so, &store); !s.ok()) return Fail(s);

  const int64_t second = 1000000000;
  int64_t start = NowNs() - static_cast<int64_t>(versions) * second;
  tools::GenOptions small;
  small.routes = 50;
  std::vector<Route> routes = tools::GenerateRoutes(small);
  for (uint64_t v = 0; v < versions; ++v) {
    Route& r = routes[v % routes.size()];
    r.metrics = {{2, static_cast<uint32_t>(1200 + v % 300)}};  // mtu: a value change
    CommitInfo info;
    info.time_ns = start + static_cast<int64_t>(v) * second;
    info.cause = v == 0 ? Cause::kStartup : Cause::kEvent;
    info.actor = {4242, "ip", "ip route change"};
    VersionHeader out;
    if (Status s = store->Commit("main", Build(routes), nullptr, info, &out); !s.ok()) {
      return Fail(s);
    }
  }

  tools::GenOptions big;
  big.routes = big_routes;
  std::vector<Route> table = tools::GenerateRoutes(big);
  for (int v = 0; v < 3; ++v) {
    if (v) table[static_cast<size_t>(v) * 97 % table.size()].metrics = {{2, 1400u + v}};
    CommitInfo info;
    info.time_ns = NowNs();
    info.cause = Cause::kPeriodic;
    VersionHeader out;
    if (Status s = store->Commit("big", Build(table), nullptr, info, &out); !s.ok()) {
      return Fail(s);
    }
  }
  if (Status s = store->Flush(); !s.ok()) return Fail(s);
  std::printf("seeded %s: main %llu versions, big %zu routes, %llu bytes\n", dir.c_str(),
              static_cast<unsigned long long>(versions), big_routes,
              static_cast<unsigned long long>(store->DiskBytes()));
  return 0;
}
