#include "api/dispatcher.h"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>
#include <chrono>
#include <exception>

#include "api/audit.h"
#include "api/errors.h"
#include "netsnap/time.h"

namespace netsnap::api {

namespace http = boost::beast::http;

namespace {

constexpr const char* kRequests = "netsnap_http_requests_total";
constexpr const char* kDuration = "netsnap_http_request_duration_seconds";
constexpr const char* kRejections = "netsnap_api_worker_rejections_total";

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
                       BrowserGuard guard, AccessRules rules, RouteTable routes)
    : ctx_(ctx),
      guard_(std::move(guard)),
      rules_(std::move(rules)),
      refusals_(ctx->metrics),
      auth_(std::move(auth)) {
  routes(ctx_, &router_);
  ctx_->metrics->Describe(kRequests, "counter", "HTTP requests by route, method and status.");
  ctx_->metrics->Describe(kDuration, "histogram",
                          "HTTP request handling time by route; an answer written in pieces (a "
                          "whole version, a diff) until its last byte.");
  ctx_->metrics->Describe(kRejections, "counter",
                          "Requests answered 503 because every API worker was busy and the "
                          "worker queue was full, by route.");
}

void Dispatcher::SetAuthenticator(std::shared_ptr<const Authenticator> auth) {
  MutexLock lock(&auth_mu_);
  auth_ = std::move(auth);
}

bool Dispatcher::Prepare(http::request<http::string_body>&& raw, const Peer& peer, Call* call,
                         ApiResponse* res) const {
  call->start = std::chrono::steady_clock::now();
  ApiRequest& req = call->req;
  req.method = raw.method();
  req.now_ns = NowNs();
  call->label = "refused";
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
    Route(call, raw.target(), authorization, peer, res);
  }
  if (call->route) return true;
  Count(*call, *res);
  return false;
}

void Dispatcher::Run(Call* call, ApiResponse* res) const {
  const struct Route& route = *call->route;
  std::string what = std::string(http::to_string(route.method)) + " " + route.pattern;
  Status s;
  try {
    s = route.handler(call->req, res);
  } catch (const std::exception& e) {
    spdlog::error("api: {} failed: {}", what, e.what());
    s = Status::Internal("the request failed; see the daemon's log");
  }
  if (!s.ok()) SetError(s, res);
  if (route.mutating) Audit(*ctx_, call->req.principal, what, call->req.Param("name"), *res);
  Count(*call, *res);
}

void Dispatcher::Overloaded(Call* call, ApiResponse* res) const {
  res->Error(503, "busy",
             "every API worker is busy and the queue is full ([daemon] workers); retry shortly");
  res->headers.emplace_back("Retry-After", "1");
  ctx_->metrics->Add(kRejections, {{"route", call->label}});
  Count(*call, *res);
}

void Dispatcher::Count(const Call& call, const ApiResponse& res) const {
  ctx_->metrics->Add(kRequests, {{"route", call.label},
                                 {"method", std::string(http::to_string(call.req.method))},
                                 {"status", std::to_string(res.status)}});
  if (!res.chunked) Finish(call);
}

void Dispatcher::Finish(const Call& call) const {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - call.start).count();
  ctx_->metrics->Observe(kDuration, {{"route", call.label}}, seconds);
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
    MutexLock lock(&auth_mu_);
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

void Dispatcher::Route(Call* call, std::string_view target, std::string_view authorization,
                       const Peer& peer, ApiResponse* res) const {
  ApiRequest* req = &call->req;
  std::vector<std::string> segments;
  if (!ParseTarget(target, req, &segments)) {
    res->Error(400, "bad_request", "the request target is not a valid path and query");
    call->label = "invalid";
    return;
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
    call->label = "unmatched";
    return;
  }
  req->params = std::move(m.params);
  const struct Route& route = *m.route;
  call->label = route.pattern;
  if (!Identify(authorization, peer, &req->principal, res)) return;
  if (req->principal.role < route.role) {
    std::string what = std::string(http::to_string(route.method)) + " " + route.pattern;
    std::string message = std::string(RoleName(req->principal.role)) + " '" + req->principal.name +
                          "' may not call " + what + "; it needs the operator role";
    if (peer.channel == Peer::Channel::kTcp && req->principal.name == "loopback") {
      message += ". Over TCP without a token file every client is a viewer: use the Unix socket" +
                 (rules_.socket_path.empty() ? std::string() : " " + rules_.socket_path) +
                 " (as root or a member of its group) or give operators tokens in a token file "
                 "([daemon] token_file)";
    }
    Refuse({403, "forbidden", message}, peer, res);
    return;
  }
  call->route = &route;
}

}  // namespace netsnap::api
