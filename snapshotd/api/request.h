// One API exchange as handlers see it: the parsed request (path, query and route parameters,
// body, who sent it) and the response they fill. The session owns both and does the I/O.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/chunked_body.h"
#include "netsnap/store.h"

namespace netsnap::api {

// viewer may read; operator may also capture, roll back, confirm and cancel.
enum class Role { kViewer = 0, kOperator = 1 };
std::string_view RoleName(Role role);

struct Principal {
  // From the token file; "NAME (uid N)" on the Unix socket; "loopback" on TCP without tokens.
  std::string name;
  Role role = Role::kViewer;
};

struct ApiRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string path;                            // percent-decoded
  std::map<std::string, std::string> query;    // percent-decoded; the last value of a name wins
  std::map<std::string, std::string> params;   // "{name}" segments of the matched route
  std::map<std::string, std::string> headers;  // the few headers handlers read, lower-case names
  std::string body;
  Principal principal;
  int64_t now_ns = 0;  // when the request was read; relative times count from here

  // The query value of `name`, or null when absent.
  const std::string* Query(std::string_view name) const;
  // The route parameter `name` ("" when the route has none by that name).
  const std::string& Param(const std::string& name) const;
};

// A server-sent event stream (GET /v1/events?follow=1). The session subscribes to the event bus
// first, then sends the backlog batch by batch, then every live event that `filter` accepts and
// whose id is above the last one sent.
struct EventStream {
  // Appends the next batch of stored events to send first, reading a bounded number from the
  // store; *done once none are left. Null: no backlog. Called on a worker, one call at a time.
  std::function<Status(std::vector<StoredEvent>* out, bool* done)> backlog;
  std::function<bool(const StoredEvent&)> filter;
};

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set by a handler that streams events instead of answering once.
  std::shared_ptr<EventStream> stream;
  // Set by a handler whose answer may be large: the body is written piece by piece (chunked
  // encoding) instead of `body`.
  std::shared_ptr<ChunkedBody> chunked;
  // Extra facts for the audit entry of a mutating call (e.g. the version made).
  std::vector<std::pair<std::string, std::string>> audit;
  // Set when the call was refused before its handler (401, 403, 415, 421): the session closes
  // the connection after answering.
  bool refused = false;

  void Json(unsigned http_status, const boost::json::value& v);
  void Text(unsigned http_status, std::string text);
  // {"error":{"code":code,"message":message}}
  void Error(unsigned http_status, std::string_view code, std::string_view message);
};

}  // namespace netsnap::api
