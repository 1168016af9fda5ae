// One HTTP/1.1 request on a fresh connection (Boost.Beast) over TCP or a Unix socket, the client
// side that the CLI, the daemon's webhook and the tests share. Every step (resolve, connect,
// send, each read) has a deadline, so a server that hangs does not hang the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netsnap/status.h"

namespace netsnap {

struct HttpRequest {
  std::string method = "GET";
  std::string host;  // a name or an address (an IPv6 address without brackets)
  std::string port = "80";
  // When set, the connection goes to this Unix socket instead of host:port; the Host header still
  // names `host` ("localhost" when empty).
  std::string unix_socket;
  std::string target = "/";
  // Sent as they are, besides Host (host[:port]) and Content-Length (when there is a body).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpAnswer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  // The value of the first header called `name` (lower case), or "".
  std::string Header(std::string_view name) const;
};

struct HttpLimits {
  std::chrono::milliseconds timeout{30'000};  // for each step
  uint64_t header_bytes = 64 << 10;
  uint64_t body_bytes = uint64_t{4} << 30;
};

// Sends `request` and reads the whole answer into *out. Unavailable when the server cannot be
// reached, a step times out, or the answer is not HTTP or exceeds the limits; any HTTP status is
// OK.
Status HttpCall(const HttpRequest& request, const HttpLimits& limits, HttpAnswer* out);

// As HttpCall, but the body of a 200 answer is handed to on_data piece by piece as it arrives,
// without a deadline, until the server closes the connection or on_data returns false; for
// streams such as server-sent events. The answer's other parts are in *out.
Status HttpStream(const HttpRequest& request, const HttpLimits& limits,
                  const std::function<bool(std::string_view)>& on_data, HttpAnswer* out);

}  // namespace netsnap
