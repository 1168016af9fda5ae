// Route protocols (rtm_protocol): their names, as /etc/iproute2/rt_protos names them, and the
// processes that own the routes of each (docs/detection.md, "Owners"). A change that an owner
// process makes to routes of its own protocol is the owner's business, not damage.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netsnap {

struct RouteProtocols {
  std::map<uint8_t, std::string> names;                // number -> name
  std::map<uint8_t, std::vector<std::string>> owners;  // number -> process names (comm)

  // iproute2's own names (rt_protos as Debian ships it) and the built-in owners: bird -> bird;
  // zebra and FRR's protocols (bgp, isis, ospf, rip, ..., 186-198) -> zebra and FRR's daemons;
  // dhcp -> dhclient, dhcpcd, udhcpc, systemd-networkd, NetworkManager; keepalived ->
  // keepalived; babel -> babeld.
  static RouteProtocols BuiltIn();

  // The name, or the number in decimal when it has none (as `ip` prints it).
  std::string Name(uint8_t proto) const;
  // A name (the lowest number that has it, as iproute2 resolves it) or a decimal number.
  std::optional<uint8_t> Number(std::string_view name_or_number) const;
  // The owner processes of `proto`; empty when nobody owns its routes.
  const std::vector<std::string>& Owners(uint8_t proto) const;
  // Whether `process` (a /proc/PID/comm, at most 15 characters) is an owner of `proto`. Owner
  // names longer than 15 characters match their first 15 ("systemd-networkd" is
  // "systemd-network" in comm).
  bool Owns(uint8_t proto, std::string_view process) const;
};

// The table rendering uses (ProtocolName, the route's "owner" field) and detection starts from:
// BuiltIn() until the daemon installs the one it read (rt_protos plus [[owner]]). Thread-safe.
void InstallRouteProtocols(RouteProtocols protocols);
std::shared_ptr<const RouteProtocols> CurrentRouteProtocols();

}  // namespace netsnap
