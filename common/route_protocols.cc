#include "netsnap/route_protocols.h"

#include <charconv>

#include "mutex.h"

namespace netsnap {

namespace {

// /proc/PID/comm holds at most 15 characters (TASK_COMM_LEN 16 with the NUL).
constexpr size_t kCommLen = 15;

// FRR installs every protocol's routes through zebra; the other daemons are listed so that an
// operator's own tools named like them are recognised too.
const std::vector<std::string> kFrr = {"zebra",   "bgpd",   "ospfd",   "ospf6d", "isisd",
                                       "ripd",    "ripngd", "eigrpd",  "ldpd",   "nhrpd",
                                       "staticd", "pbrd",   "fabricd", "sharpd", "pathd"};

Mutex installed_mu;
// The protocols installed last; the detection thread reads them while a reload installs new ones.
std::shared_ptr<const RouteProtocols>& Installed() REQUIRES(installed_mu) {
  static std::shared_ptr<const RouteProtocols> p =
      std::make_shared<const RouteProtocols>(RouteProtocols::BuiltIn());
  return p;
}

}  // namespace

RouteProtocols RouteProtocols::BuiltIn() {
  RouteProtocols p;
  p.names = {{0, "unspec"},      {1, "redirect"}, {2, "kernel"}, {3, "boot"},   {4, "static"},
             {8, "gated"},       {9, "ra"},       {10, "mrt"},   {11, "zebra"}, {12, "bird"},
             {13, "dnrouted"},   {14, "xorp"},    {15, "ntk"},   {16, "dhcp"},  {17, "mrouted"},
             {18, "keepalived"}, {42, "babel"},   {186, "bgp"},  {187, "isis"}, {188, "ospf"},
             {189, "rip"},       {192, "eigrp"}};
  p.owners[12] = {"bird", "bird6"};
  p.owners[11] = kFrr;
  for (int proto = 186; proto <= 198; ++proto) p.owners[static_cast<uint8_t>(proto)] = kFrr;
  p.owners[16] = {"dhclient", "dhcpcd", "udhcpc", "systemd-networkd", "NetworkManager"};
  p.owners[18] = {"keepalived"};
  p.owners[42] = {"babeld"};
  return p;
}

std::string RouteProtocols::Name(uint8_t proto) const {
  auto it = names.find(proto);
  return it != names.end() ? it->second : std::to_string(proto);
}

std::optional<uint8_t> RouteProtocols::Number(std::string_view text) const {
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    if (n > 255) return std::nullopt;
    return static_cast<uint8_t>(n);
  }
  for (const auto& [number, name] : names) {
    if (name == text) return number;
  }
  return std::nullopt;
}

const std::vector<std::string>& RouteProtocols::Owners(uint8_t proto) const {
  static const std::vector<std::string> kNone;
  auto it = owners.find(proto);
  return it != owners.end() ? it->second : kNone;
}

bool RouteProtocols::Owns(uint8_t proto, std::string_view process) const {
  if (process.empty()) return false;
  for (const std::string& o : Owners(proto)) {
    if (std::string_view(o).substr(0, kCommLen) == process) return true;
  }
  return false;
}

void InstallRouteProtocols(RouteProtocols protocols) {
  auto p = std::make_shared<const RouteProtocols>(std::move(protocols));
  MutexLock l(&installed_mu);
  Installed() = std::move(p);
}

std::shared_ptr<const RouteProtocols> CurrentRouteProtocols() {
  MutexLock l(&installed_mu);
  return Installed();
}

}  // namespace netsnap
