// The daemon's configuration: a TOML file with a [daemon] table and [[source]] tables, or the
// embedded default. Command-line flags override the file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "netsnap/source.h"
#include "netsnap/status.h"
#include "netsnap/store.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace netsnap {

// [retention] (docs/configuration.md): what the retention runner removes, and how often.
struct RetentionSettings {
  RetentionPolicy versions;                           // keep_all, hourly, daily
  int64_t interval_ns = 3600LL * 1000000000;          // interval; at least 1 s
  int64_t events_ns = 90LL * 86400 * 1000000000;      // events; 0 keeps them
  uint64_t max_events = 1000000;                      // max_events; 0: no limit
  int64_t rollbacks_ns = 365LL * 86400 * 1000000000;  // rollbacks; 0 keeps them
};

struct DaemonConfig {
  // Empty: not configured; the daemon then uses DefaultDataDir(). A relative path in a file is
  // resolved against the file's folder when the file is parsed.
  std::string data_dir;
  std::string listen = "127.0.0.1:8470";
  // A second listener serving only GET /metrics and /v1/health without tokens; "" for none.
  std::string metrics_listen;
  int threads = 2;         // API I/O threads
  int workers = 4;         // API worker threads for handlers that may block
  std::string token_file;  // empty: no tokens, loopback only, TCP clients are viewers
  // The local API socket ("" for none) and the group whose members are operators on it.
  std::string socket = "/run/netsnap/api.sock";
  std::string socket_group;
  bool allow_loopback_operator = false;    // labs only: loopback TCP clients are operators
  std::vector<std::string> allowed_hosts;  // more names TCP requests may give as Host/Origin
  int max_followers = 32;                  // event streams at once
  int max_connections_per_client = 32;     // per TCP address, per socket uid
  std::string log_level = "info";
  std::string log_format = "text";  // or "json"
  // [daemon] max_disk_bytes: the store's disk budget (0: none); see docs/store.md.
  uint64_t max_disk_bytes = 0;
  RetentionSettings retention;
  // The rollback guard (restore/plan.h GuardOptions).
  double guard_shrink_share = 0.25;
  uint64_t guard_min_records = 10;
  std::vector<SourceSpec> sources;
  // Owns the parsed document the SourceSpec::config pointers refer to.
  std::shared_ptr<toml::table> document;
  // Raw [[detect]]/[policy] tables for later modules, looked up by source name.
  std::string path;  // the file it came from, "" for the embedded default
};

// Parses a configuration file. Errors name the file and line.
Status LoadConfig(const std::string& path, DaemonConfig* out);
// Parses configuration text (`origin` names it in errors).
Status ParseConfig(const std::string& text, const std::string& origin, DaemonConfig* out);
// The embedded default: the daemon's own namespace and /etc/resolv.conf, read-only.
DaemonConfig DefaultConfig();
// Whether a source built from `a` is the one `b` describes: same kind and the same settings.
bool SameSource(const SourceSpec& a, const SourceSpec& b);
// Whether two configurations have the same [[source]] tables, names and order included.
bool SameSources(const DaemonConfig& a, const DaemonConfig& b);
// $STATE_DIRECTORY (set by systemd's StateDirectory=) when it is one absolute path, else the
// compiled-in default (localstatedir/lib/netsnap, /var/lib/netsnap for a package).
std::string DefaultDataDir();
// The file read when --config is not given (sysconfdir/netsnap/snapshotd.toml); the embedded
// default applies when it does not exist.
std::string DefaultConfigPath();

}  // namespace netsnap
