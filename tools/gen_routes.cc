// gen_routes: prints a realistic route table as `ip -batch` lines.
//   gen_routes --routes 100000 [--ipv6-share 0.2] [--tables 3] [--multipath 0.05] [--seed 1]
//              [--dev a0]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "gen/route_gen.h"

int main(int argc, char** argv) {
  netsnap::tools::GenOptions o;
  CLI::App app{"gen_routes: a realistic route table as ip -batch lines"};
  app.add_option("--routes", o.routes, "number of routes")->required();
  app.add_option("--ipv6-share", o.ipv6_share, "share of IPv6 routes (0..1)");
  app.add_option("--tables", o.tables, "number of tables (main, 100, 101, ...)");
  app.add_option("--multipath", o.multipath_share, "share of multipath routes (0..1)");
  app.add_option("--seed", o.seed, "random seed");
  app.add_option("--dev", o.dev, "device of every next hop");
  CLI11_PARSE(app, argc, argv);
  for (const netsnap::Route& r : netsnap::tools::GenerateRoutes(o)) {
    std::string line = netsnap::tools::IpBatchLine(r);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return 0;
}
