// The CLI's client of the netsnap API: one connection per request (common/http_client.h) over
// the daemon's Unix socket or TCP, a bearer token when configured, a deadline for each step, and
// server-sent events.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/http_client.h"
#include "netsnap/status.h"

namespace netsnap::cli {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string next_cursor;  // the Next-Cursor header (text pages of a version), "" when absent
  // The body as JSON (null when it is not JSON).
  boost::json::value Json() const;
  // "code: message" from an error body, or the status line.
  std::string ErrorText() const;
};

class ApiClient {
 public:
  // `server` is "http://HOST:PORT" (or "HOST:PORT"); `token` may be empty; `timeout` bounds
  // each step of a request (connecting, sending, waiting for the answer).
  static Status Create(const std::string& server, std::string token,
                       std::chrono::milliseconds timeout, ApiClient* out);
  // A client of the daemon's Unix socket at `path` (the daemon knows the caller by its uid).
  static ApiClient ForSocket(const std::string& path, std::string token,
                             std::chrono::milliseconds timeout);

  // Unavailable when the server cannot be reached, times out or answers garbage.
  Status Call(std::string_view method, const std::string& target, const std::string& body,
              HttpResponse* out) const;
  // GET `target` as server-sent events, calling on_event(type, data) for each, until the
  // server closes or on_event returns false; the stream itself has no deadline. The answer's
  // status (and a non-200 answer's body) is returned in *answer. A `last_event_id` is sent as
  // Last-Event-ID: the server then first sends the stored events after it.
  Status Stream(const std::string& target,
                const std::function<bool(const std::string&, const std::string&)>& on_event,
                HttpResponse* answer, const std::string& last_event_id = "") const;

 private:
  HttpRequest MakeRequest(std::string_view method, const std::string& target,
                          const std::string& body) const;

  std::string host_;
  std::string port_;
  std::string socket_;  // set: the Unix socket instead of host_:port_
  std::string token_;
  HttpLimits limits_;
};

// Percent-encodes a query value.
std::string QueryEscape(std::string_view s);

}  // namespace netsnap::cli
