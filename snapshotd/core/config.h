// The daemon's configuration: a TOML file with a [daemon] table and [[source]] tables, or the
// embedded default. Command-line flags override the file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "netsnap/status.h"
#include "sources/source.h"
#include "store/store.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace netsnap {

struct DaemonConfig {
  std::string data_dir = "var";
  std::string listen = "127.0.0.1:8470";
  int threads = 2;
  std::string token_file;  // empty: no tokens, loopback only
  std::string log_level = "info";
  std::string log_format = "text";  // or "json"
  // The rollback guard (restore/plan.h GuardOptions).
  double guard_shrink_share = 0.25;
  uint64_t guard_min_records = 10;
  RetentionPolicy retention;
  int64_t retention_interval_ns = 3600LL * 1000000000;
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

}  // namespace netsnap
