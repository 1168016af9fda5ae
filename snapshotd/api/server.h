// The HTTP API server: an acceptor and a fixed pool of I/O threads serving the v1 API (see
// docs/api.md) over Boost.Beast, one Session per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/context.h"
#include "netsnap/status.h"

namespace netsnap {

class Daemon;

namespace api {
class RollbackService;
}

struct ApiOptions {
  std::string listen = "127.0.0.1:8470";  // "ADDR:PORT", "[ADDR6]:PORT"; port 0 = ephemeral
  int threads = 2;
  std::string token_file;  // empty: no tokens, loopback only, loopback clients are operators
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 8 << 10;
  int read_timeout_s = 10;  // per read (and per write); idle keep-alive connections too
  size_t max_connections = 256;
  api::RollbackService* rollbacks = nullptr;  // the rollback module, when there is one
  Detection* detection = nullptr;             // the detection module, when there is one
};

class ApiServer {
 public:
  // Serves `daemon`'s store, sources, events and metrics. Refuses a non-loopback address
  // without a token file. `daemon` must outlive the server.
  static Status Start(Daemon* daemon, const ApiOptions& opts, std::unique_ptr<ApiServer>* out);
  // Serves an explicit context (tests, tools); everything it points to must outlive the server.
  static Status Start(const api::ApiContext& ctx, const ApiOptions& opts,
                      std::unique_ptr<ApiServer>* out);

  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;
  ~ApiServer();

  // Stops accepting, closes every connection and joins the I/O threads. Idempotent.
  void Stop();
  // The port listened on (the chosen one when the options said 0).
  uint16_t port() const;
  // Runs `fn` on an I/O thread: the watchdog's proof that the I/O loop turns.
  void Post(std::function<void()> fn);

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace netsnap
