// Maps a method and a path to a handler. Patterns are literal segments and "{param}" segments:
// "/v1/sources/{name}/versions/{version}". A path that matches a pattern under another method
// is a 405 with an Allow list; a path that matches nothing is a 404.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/request.h"
#include "netsnap/status.h"

namespace netsnap::api {

// Fills `res`; a non-OK Status becomes an error response (errors.h).
using Handler = std::function<Status(const ApiRequest& req, ApiResponse* res)>;

// Where a handler runs. kInline: on the I/O thread that read the request, for handlers that
// only read memory or a few store keys (health, metrics, header pages). kWorker: on the worker
// pool (worker_pool.h), for handlers that may block or touch a whole snapshot.
enum class Runs { kInline, kWorker };

struct Route {
  boost::beast::http::verb method;
  std::string pattern;  // also the route's label in metrics
  Role role;            // the least role allowed to call it
  bool mutating;        // audited
  Handler handler;
  Runs runs;
  std::vector<std::string> segments;
};

class Router {
 public:
  // Routes needing Role::kOperator are mutating and audited.
  void Add(boost::beast::http::verb method, std::string pattern, Role role, Handler handler,
           Runs runs = Runs::kInline);

  struct Match {
    const Route* route = nullptr;  // null: no route for this method and path
    std::map<std::string, std::string> params;
    std::string allow;  // methods the path does have ("GET, POST"), if any
  };
  // `segments` are the request path's percent-decoded segments ("/v1/sources" -> v1, sources).
  Match Find(boost::beast::http::verb method, const std::vector<std::string>& segments) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace netsnap::api
