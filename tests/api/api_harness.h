// A real daemon in-process for API tests: a Daemon whose store lives in a temp dir, one
// MemorySource named "main" with its Recorder, the rollback and detection modules, and an
// ApiServer on an ephemeral loopback port.
// Plus small HTTP clients: a Beast one for well-formed requests and a raw socket one for
// malformed bytes.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <string>

#include "api/rollback_adapter.h"
#include "api/server.h"
#include "common/http_client.h"
#include "core/daemon.h"
#include "detect/detection.h"
#include "memory_source.h"
#include "support/temp_dir.h"

namespace netsnap::testing {

// Options for tests of what the API does rather than who may do it: without tokens, loopback TCP
// clients are operators (allow_loopback_operator, the lab setting).
ApiOptions LabOptions();

class ApiHarness {
 public:
  // Starts everything; `tokens` is token file text ("" for none), `policies` [[policy]] tables
  // of the configuration ("" for none). Throws on failure.
  explicit ApiHarness(ApiOptions options = LabOptions(), const std::string& tokens = "",
                      const std::string& policies = "");
  ~ApiHarness();

  uint16_t port() const { return server_->port(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  MemorySource* source() { return source_; }
  Recorder* recorder() { return recorder_; }
  Daemon* daemon() { return daemon_.get(); }
  Store* store() { return daemon_->store(); }
  const TempDir& dir() const { return dir_; }
  ApiServer* server() { return server_.get(); }
  // Where the harness wrote the token file (when it was given tokens).
  std::string token_file() const { return dir_.Sub("tokens"); }

  // Sets the live state and captures it (cause manual); returns the version.
  uint64_t Capture(const std::vector<Route>& routes);

 private:
  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  MemorySource* source_ = nullptr;
  Recorder* recorder_ = nullptr;
  std::unique_ptr<RollbackManager> rollbacks_;
  std::unique_ptr<Detection> detection_;
  std::unique_ptr<api::ManagedRollbacks> rollback_service_;
  std::unique_ptr<ApiServer> server_;
};

struct HttpReply {
  int status = 0;                              // 0: no answer (connection error)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  boost::json::value json() const;  // parsed body; throws when not JSON
};

// One request on a fresh connection. POST and PUT carry Content-Type: application/json.
HttpReply Http(uint16_t port, const std::string& method, const std::string& target,
               const std::string& body = "", const std::string& token = "");
// The same on the Unix socket at `path`.
HttpReply HttpSocket(const std::string& path, const std::string& method, const std::string& target,
                     const std::string& body = "");
// Sends `req` as it is (no headers added); status 0 when there was no answer.
HttpReply Send(const HttpRequest& req);
// Writes raw bytes (then, with `close_write`, shuts the sending side so that the server meets
// the end of the stream instead of waiting for more), and reads until the server closes or
// `timeout_ms` passes.
std::string RawExchange(uint16_t port, const std::string& bytes, int timeout_ms = 3000,
                        bool close_write = false);

}  // namespace netsnap::testing
