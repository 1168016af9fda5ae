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

Dispatcher::Dispatcher(const ApiContext* ctx, std::shared_ptr<const Authenticator> auth,
                       BrowserGuard guard, AccessRules rules)
    : ctx_(ctx),
      guard_(std::move(guard)),
      rules_(std::move(rules)),
      refusals_(ctx->metrics),
      auth_(std::move(auth)) {
  AddAllRoutes(ctx_, &router_);
  ctx_->metrics->Describe(kRequests, "counter", "HTTP requests by route, method and status.");
  ctx_->metrics->Describe(kDuration, "histogram", "HTTP request handling time by route.");
}

void Dispatcher::SetAuthenticator(std::shared_ptr<const Authenticator> auth) {
  std::lock_guard<std::mutex> lock(auth_mu_);
  auth_ = std::move(auth);
}

void Dispatcher::Handle(http::request<http::string_body>&& raw, const Peer& peer,
                        ApiResponse* res) const {
  auto start = std::chrono::steady_clock::now();
  ApiRequest req;
  req.method = raw.method();
  req.now_ns = NowNs();
  std::string label = "refused";
  Refusal browser;
  if (peer.channel == Peer::Channel::kTcp) browser = guard_.Check(raw);
  if (browser.status != 0) {
    Refuse(browser, peer, res);
  } else {
    req.body = std::move(raw.body());
    for (const char* name : {"idempotency-key", "last-event-id"}) {
      if (auto it = raw.find(name); it != raw.end()) req.headers[name] = std::string(it->value());
    }
    std::string_view authorization;
    if (auto it = raw.find(http::field::authorization); it != raw.end()) {
      authorization = it->value();
    }
    label = Route(&req, raw.target(), authorization, peer, res);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ctx_->metrics->Add(kRequests, {{"route", label},
                                 {"method", std::string(http::to_string(req.method))},
                                 {"status", std::to_string(res->status)}});
  ctx_->metrics->Observe(kDuration, {{"route", label}}, seconds);
}

void Dispatcher::Refuse(const Refusal& r, const Peer& peer, ApiResponse* res) const {
  res->Error(r.status, r.code, r.message);
  res->refused = true;
  refusals_.Note(r.code, peer.client);
}

bool Dispatcher::Identify(std::string_view authorization, const Peer& peer, Principal* who,
                          ApiResponse* res) const {
  if (peer.channel == Peer::Channel::kSocket) {
    *who = peer.principal;
    return true;
  }
  std::shared_ptr<const Authenticator> auth;
  {
    std::lock_guard<std::mutex> lock(auth_mu_);
    auth = auth_;
  }
  if (!auth->has_tokens()) {
    // Without tokens the server listens on loopback only (checked at start); any local user
    // can reach it, so it is a viewer unless the configuration says otherwise.
    who->name = "loopback";
    who->role = rules_.loopback_operator && peer.loopback ? Role::kOperator : Role::kViewer;
    return true;
  }
  AuthResult r = auth->Authenticate(authorization, who);
  if (r == AuthResult::kOk) return true;
  Refuse(
      {401, "unauthorized",
       r == AuthResult::kMissing ? "a bearer token is required" : "the bearer token is not valid"},
      peer, res);
  res->headers.emplace_back("WWW-Authenticate", "Bearer");
  return false;
}

std::string Dispatcher::Route(ApiRequest* req, std::string_view target,
                              std::string_view authorization, const Peer& peer,
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

  if (!Identify(authorization, peer, &req->principal, res)) return route.pattern;
  if (req->principal.role < route.role) {
    std::string message = std::string(RoleName(req->principal.role)) + " '" + req->principal.name +
                          "' may not call " + what + "; it needs the operator role";
    if (peer.channel == Peer::Channel::kTcp && req->principal.name == "loopback") {
      message += ". Over TCP without a token file every client is a viewer: use the Unix socket" +
                 (rules_.socket_path.empty() ? std::string() : " " + rules_.socket_path) +
                 " (as root or a member of its group) or give operators tokens in a token file "
                 "([daemon] token_file)";
    }
    Refuse({403, "forbidden", message}, peer, res);
    return route.pattern;
  }
  Status s;
  try {
    s = route.handler(*req, res);
  } catch (const std::exception& e) {
    spdlog::error("api: {} failed: {}", what, e.what());
    s = Status::Internal("the request failed; see the daemon's log");
  }
  if (!s.ok()) SetError(s, res);
  if (route.mutating) Audit(*ctx_, req->principal, what, req->Param("name"), *res);
  return route.pattern;
}

}  // namespace netsnap::api
