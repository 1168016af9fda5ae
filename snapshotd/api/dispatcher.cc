#include "api/dispatcher.h"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>
#include <chrono>
#include <exception>

#include "api/audit.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "netsnap/time.h"

namespace netsnap::api {

namespace http = boost::beast::http;

namespace {

constexpr const char* kRequests = "netsnap_http_requests_total";
constexpr const char* kDuration = "netsnap_http_request_duration_seconds";

// Parses the request target into path segments and query parameters (percent-decoded).
bool ParseTarget(std::string_view target, ApiRequest* req, std::vector<std::string>* segments) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return false;
  req->path = std::string(url->path());
  for (auto seg : url->segments()) segments->emplace_back(seg);
  for (auto param : url->params()) req->query[std::string(param.key)] = std::string(param.value);
  return true;
}

}  // namespace

Dispatcher::Dispatcher(const ApiContext* ctx, const Authenticator* auth) : ctx_(ctx), auth_(auth) {
  AddAllRoutes(ctx_, &router_);
  ctx_->metrics->Describe(kRequests, "counter", "HTTP requests by route, method and status.");
  ctx_->metrics->Describe(kDuration, "histogram", "HTTP request handling time by route.");
}

void Dispatcher::Handle(http::request<http::string_body>&& raw, bool peer_is_loopback,
                        ApiResponse* res) const {
  auto start = std::chrono::steady_clock::now();
  ApiRequest req;
  req.method = raw.method();
  req.now_ns = NowNs();
  req.body = std::move(raw.body());
  if (auto it = raw.find("Idempotency-Key"); it != raw.end()) {
    req.headers["idempotency-key"] = std::string(it->value());
  }
  std::string_view authorization;
  if (auto it = raw.find(http::field::authorization); it != raw.end()) {
    authorization = it->value();
  }
  std::string label = Route(&req, raw.target(), authorization, peer_is_loopback, res);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ctx_->metrics->Add(kRequests, {{"route", label},
                                 {"method", std::string(http::to_string(req.method))},
                                 {"status", std::to_string(res->status)}});
  ctx_->metrics->Observe(kDuration, {{"route", label}}, seconds);
}

std::string Dispatcher::Route(ApiRequest* req, std::string_view target,
                              std::string_view authorization, bool peer_is_loopback,
                              ApiResponse* res) const {
  std::vector<std::string> segments;
  if (!ParseTarget(target, req, &segments)) {
    res->Error(400, "bad_request", "the request target is not a valid path and query");
    return "invalid";
  }
  Router::Match m = router_.Find(req->method, segments);
  if (!m.route) {
    if (!m.allow.empty()) {
      res->Error(405, "method_not_allowed",
                 std::string(http::to_string(req->method)) + " is not allowed here");
      res->headers.emplace_back("Allow", m.allow);
    } else {
      res->Error(404, "not_found", "no such endpoint: " + req->path);
    }
    return "unmatched";
  }
  req->params = std::move(m.params);
  const struct Route& route = *m.route;
  std::string what = std::string(http::to_string(route.method)) + " " + route.pattern;

  AuthResult auth = auth_->Authenticate(authorization, peer_is_loopback, &req->principal);
  if (auth != AuthResult::kOk) {
    res->Error(401, "unauthorized",
               auth == AuthResult::kMissing ? "a bearer token is required"
                                            : "the bearer token is not valid");
    res->headers.emplace_back("WWW-Authenticate", "Bearer");
  } else if (req->principal.role < route.role) {
    res->Error(403, "forbidden",
               std::string(RoleName(req->principal.role)) + " '" + req->principal.name +
                   "' may not call " + what + "; it needs the operator role");
  } else {
    Status s;
    try {
      s = route.handler(*req, res);
    } catch (const std::exception& e) {
      spdlog::error("api: {} failed: {}", what, e.what());
      s = Status::Internal("the request failed; see the daemon's log");
    }
    if (!s.ok()) SetError(s, res);
  }
  if (route.mutating) Audit(*ctx_, req->principal, what, req->Param("name"), *res);
  return route.pattern;
}

}  // namespace netsnap::api
