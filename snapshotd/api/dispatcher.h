// Turns one parsed HTTP request into a response in two steps: Prepare (the browser guard on TCP,
// target parsing, authentication, routing, authorisation) on the I/O thread that read it, then
// Run (the handler, metrics and the audit trail) on that thread or on a worker, as the route
// says (router.h, Runs). No I/O: sessions do that. Thread-safe; shared by every session.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "api/auth.h"
#include "api/browser_guard.h"
#include "api/context.h"
#include "api/handlers.h"
#include "api/peer.h"
#include "api/refusals.h"
#include "api/request.h"
#include "api/router.h"
#include "common/mutex.h"

namespace netsnap::api {

// Who may do what, besides the tokens.
struct AccessRules {
  // TCP clients on loopback are operators when there are no tokens (the old default, for labs).
  bool loopback_operator = false;
  // Named in the 403 that a TCP viewer gets for a mutating call ("" when there is no socket).
  std::string socket_path;
};

class Dispatcher {
 public:
  // ctx must outlive the dispatcher. `routes`: what it serves (anything else is a 404).
  Dispatcher(const ApiContext* ctx, std::shared_ptr<const Authenticator> auth, BrowserGuard guard,
             AccessRules rules, RouteTable routes = AddAllRoutes);

  // A request between Prepare and Run.
  struct Call {
    ApiRequest req;
    const struct Route* route = nullptr;  // set when Prepare leaves the answer to Run
    std::string label;                    // the route label in metrics
    std::chrono::steady_clock::time_point start;
  };

  // Checks and routes `raw` from `peer`. True: call->route is set and Run must answer it. False:
  // *res is the answer already (a refusal, 404, 405...) and has been counted; a call refused
  // before its handler has res->refused set: the session closes the connection after it.
  bool Prepare(boost::beast::http::request<boost::beast::http::string_body>&& raw, const Peer& peer,
               Call* call, ApiResponse* res) const;
  // Runs the handler of a prepared call, then counts and audits it (an answer in pieces is
  // timed by Finish). Never throws; a handler that
  // throws is answered with 500. Any thread.
  void Run(Call* call, ApiResponse* res) const;
  // Observes the duration of a call whose answer was written in pieces (res->chunked), which
  // Run leaves to the session: it ends at the last byte, not when the handler returns.
  void Finish(const Call& call) const;
  // Answers a prepared call the worker pool had no room for: 503 with Retry-After, counted in
  // netsnap_api_worker_rejections_total.
  void Overloaded(Call* call, ApiResponse* res) const;

  // Replaces the token set; requests already being answered keep the one they started with.
  void SetAuthenticator(std::shared_ptr<const Authenticator> auth);

 private:
  // Routes and authorises; sets call->label, and call->route when the handler may run.
  void Route(Call* call, std::string_view target, std::string_view authorization, const Peer& peer,
             ApiResponse* res) const;
  // Counts a call in the request metrics and, unless its answer is written in pieces, observes
  // its duration.
  void Count(const Call& call, const ApiResponse& res) const;
  // Who sent the request, or false with the 401 in *res.
  bool Identify(std::string_view authorization, const Peer& peer, Principal* who,
                ApiResponse* res) const;
  void Refuse(const Refusal& r, const Peer& peer, ApiResponse* res) const;

  const ApiContext* ctx_;
  const BrowserGuard guard_;
  const AccessRules rules_;
  mutable Refusals refusals_;
  Router router_;
  mutable Mutex auth_mu_;
  std::shared_ptr<const Authenticator> auth_ GUARDED_BY(auth_mu_);
};

}  // namespace netsnap::api
