#include "service/config_check.h"

#include <spdlog/common.h>

#include <toml++/toml.h>

#include "api/auth.h"
#include "api/listen_address.h"
#include "detect/owner_config.h"
#include "detect/policy.h"
#include "sources/kernel/rt_protos.h"
#include "sources/registry.h"

namespace netsnap {

namespace {

// The checks of the start (a regular file, the daemon's own, mode 0600, well formed), read only.
Status CheckTokenFile(const std::string& path) {
  std::unique_ptr<api::Authenticator> auth;
  return api::Authenticator::Load(path, &auth);
}

// Where a [daemon] setting with `value` came from: "FILE:LINE: [daemon] KEY" when the file
// says it, else the command line or the default.
std::string DaemonKeyWhere(const DaemonConfig& c, const char* key, const std::string& value) {
  const toml::node* n =
      c.document ? c.document->at_path(std::string("daemon.") + key).node() : nullptr;
  if (n && n->value<std::string>() == value) {
    return c.path + ":" + std::to_string(n->source().begin.line) + ": [daemon] " + key;
  }
  return std::string("--") + key + " (command line or default)";
}

}  // namespace

Status CheckConfig(const DaemonConfig& c) {
  const std::string origin = c.path.empty() ? "configuration" : c.path;
  auto bad = [&](const char* key, const std::string& value, const Status& s) {
    return Status::InvalidArgument(DaemonKeyWhere(c, key, value) + ": " + s.message());
  };
  std::vector<std::string> names;
  for (const SourceSpec& spec : c.sources) {
    std::unique_ptr<Source> built;  // built to check, never started
    Status s = NewSource(spec, &built);
    if (!s.ok() && s.message().rfind(origin + ":", 0) == 0) return s;
    if (!s.ok()) {  // a message without a place: the [[source]] table's
      const std::string line = spec.config ? std::to_string(spec.config->source().begin.line) : "";
      return Status::InvalidArgument(origin + ":" + line + ": " + s.message());
    }
    names.push_back(spec.name);
  }
  PolicyMap policies;
  NETSNAP_RETURN_IF_ERROR(ParsePolicies(c.document.get(), origin, names, &policies));
  RouteProtocols owners;
  NETSNAP_RETURN_IF_ERROR(ParseOwners(c.document.get(), origin, kernel::kIproute2Dir, &owners));
  boost::asio::ip::tcp::endpoint endpoint;
  Status s = api::ParseListenAddress(c.listen, &endpoint);
  if (!s.ok()) return bad("listen", c.listen, s);
  if (c.token_file.empty() && !endpoint.address().is_loopback()) {
    return bad("listen", c.listen,
               Status::InvalidArgument("a non-loopback address needs a token_file"));
  }
  if (!c.metrics_listen.empty()) {
    boost::asio::ip::tcp::endpoint metrics;
    s = api::ParseListenAddress(c.metrics_listen, &metrics);
    if (!s.ok()) return bad("metrics_listen", c.metrics_listen, s);
    if (metrics == endpoint && metrics.port() != 0) {
      return bad("metrics_listen", c.metrics_listen,
                 Status::InvalidArgument("must differ from listen (" + c.listen + ")"));
    }
  }
  if (!c.token_file.empty()) {
    s = CheckTokenFile(c.token_file);
    if (!s.ok()) return bad("token_file", c.token_file, s.WithContext(c.token_file));
  }
  if (spdlog::level::from_str(c.log_level) == spdlog::level::off && c.log_level != "off") {
    return bad("log_level", c.log_level,
               Status::InvalidArgument("unknown level '" + c.log_level +
                                       "' (trace, debug, info, warn, error, critical, off)"));
  }
  return Status::OK();
}

std::string ConfigSummary(const DaemonConfig& c) {
  std::string names;
  for (const SourceSpec& s : c.sources) names += (names.empty() ? "" : ", ") + s.name;
  return std::to_string(c.sources.size()) + " sources (" + names + "), API on " + c.listen +
         (c.metrics_listen.empty() ? "" : ", metrics on " + c.metrics_listen);
}

}  // namespace netsnap
