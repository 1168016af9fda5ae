// Resolver records: where names are resolved (resolver rules), resolver-wide settings, and the
// exact configuration files they come from.
//
// kResolverRule    key: kind byte + domain ("." for the default, "" for dnsmasq's unqualified
//                  names). Value: rule type, targets in order, options, origin file.
// kResolverSetting key: kind byte + setting name ("search", "options", "DNSSEC", "no-resolv").
//                  Value: the values in order, origin file.
// kFile            key: kind byte + absolute path. Value: exact bytes (when readable), mode,
//                  owner, symlink target when the path is a link, and the error text when the file
//                  could not be read or parsed.
//
// Rules and settings are derived from files; a restore writes back kFile records only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"

namespace netsnap {

enum class ResolverRuleType : uint8_t {
  kForward = 1,  // send queries to the targets
  kLocal = 2,    // answer from local data only, never forward (dnsmasq local=)
  kSystem = 3,   // use the resolver's default servers (dnsmasq server=/d/#, resolved ~domain)
  kAddress = 4,  // answer with fixed addresses (dnsmasq address=); no target means NXDOMAIN
  kStub = 5,     // query authoritative servers directly (unbound stub-zone)
};
// "forward", "local", "system", "address", "stub".
std::string_view ResolverRuleTypeName(ResolverRuleType type);
std::optional<ResolverRuleType> ResolverRuleTypeFromName(std::string_view name);

struct ResolverTarget {
  std::string address;  // an IP address, or a host name (unbound forward-host)
  uint16_t port = 0;    // 0: the protocol default (53)
  std::string extra;    // format-specific suffix kept verbatim: dnsmasq "@eth0", unbound "#tls"
  bool operator==(const ResolverTarget&) const = default;
};

struct ResolverRule {
  std::string domain = ".";
  ResolverRuleType type = ResolverRuleType::kForward;
  std::vector<ResolverTarget> targets;  // in the order the resolver tries them
  std::vector<std::string> options;     // e.g. "forward-first", "routing", "rev-server 10.0.0.0/8"
  std::string origin;                   // the file the rule came from

  Record ToRecord() const;
  static Status FromRecord(RecordRef rec, ResolverRule* out);
  std::string Key() const;
  static std::string KeyFor(std::string_view domain);
  bool operator==(const ResolverRule&) const = default;
};

struct ResolverSetting {
  std::string name;
  std::vector<std::string> values;  // in order of appearance
  std::string origin;

  Record ToRecord() const;
  static Status FromRecord(RecordRef rec, ResolverSetting* out);
  std::string Key() const;
  static std::string KeyFor(std::string_view name);
  bool operator==(const ResolverSetting&) const = default;
};

// One configuration file as it was on disk.
struct ConfigFile {
  std::string path;          // absolute; the path the configuration names (may be a link)
  bool has_content = false;  // false: missing target, unreadable or too large; content empty
  std::string content;       // exact bytes (of the link's target when path is a link)
  uint32_t mode = 0;         // permission bits (07777) of the file (of the target for a link)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string symlink_target;  // readlink(path) when path is a symbolic link, else empty
  std::string error;           // why it could not be read or parsed; empty when it parsed

  Record ToRecord() const;
  static Status FromRecord(RecordRef rec, ConfigFile* out);
  std::string Key() const;
  static std::string KeyFor(std::string_view path);
  bool operator==(const ConfigFile&) const = default;
};

}  // namespace netsnap
