// The HTTP API server: a TCP acceptor, an optional Unix-socket acceptor, a fixed pool of I/O
// threads serving the v1 API (see docs/api.md) over Boost.Beast, one Session per connection, and
// a worker pool for the handlers that may block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/context.h"
#include "netsnap/status.h"

namespace netsnap {

class Daemon;

namespace api {
class RollbackService;
}

struct ApiOptions {
  std::string listen = "127.0.0.1:8470";  // "ADDR:PORT", "[ADDR6]:PORT"; port 0 = ephemeral
  // A second TCP listener ("" for none) that serves only GET /metrics and GET /v1/health, to
  // every client without a token (the browser guard still applies), with connection caps of
  // its own; any address may be given, as scrapers are usually remote.
  std::string metrics_listen;
  int threads = 2;  // I/O threads: parse, route, write
  // Worker threads for handlers that may block (worker_pool.h), and how many new requests may
  // wait for one before the server answers 503.
  int workers = 4;
  size_t worker_queue = 64;
  std::string token_file;  // empty: no tokens, loopback only, TCP clients are viewers
  // TCP clients on loopback are operators when there are no tokens (labs only; warned at start).
  bool allow_loopback_operator = false;
  // Host names (beyond loopback names and the listen address) that TCP requests may name in Host
  // and Origin.
  std::vector<std::string> allowed_hosts;
  // The Unix socket ("" for none): mode 0660, group `socket_group` when set; peers are known by
  // uid, and uid 0 and the group's members are operators.
  std::string socket;
  std::string socket_group;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 8 << 10;
  int read_timeout_s = 10;  // per read (and per write); idle keep-alive connections too
  size_t max_connections = 256;
  size_t max_connections_per_client = 32;     // per remote address on TCP, per uid on the socket
  size_t max_followers = 32;                  // event streams (GET /v1/events?follow=1) at once
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
  // Re-reads the token file (with the checks of the start). On error the tokens in use stay.
  // Thread-safe; requests being answered finish with the tokens they started with.
  Status ReloadTokens();
  // Runs `fn` on an I/O thread: the watchdog's proof that the I/O loop turns.
  void Post(std::function<void()> fn);

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace netsnap
