// Turns one parsed HTTP request into a response: the browser guard (TCP), target parsing,
// authentication, routing, authorisation, the handler, then metrics and the audit trail. No I/O:
// sessions do that. Thread-safe; shared by every session.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "api/auth.h"
#include "api/browser_guard.h"
#include "api/context.h"
#include "api/peer.h"
#include "api/refusals.h"
#include "api/request.h"
#include "api/router.h"

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
  // ctx must outlive the dispatcher.
  Dispatcher(const ApiContext* ctx, std::shared_ptr<const Authenticator> auth, BrowserGuard guard,
             AccessRules rules);

  // Answers `req` from `peer`. Never throws; a handler that throws is answered with 500. A call
  // refused before its handler has res->refused set: the session closes the connection after it.
  void Handle(boost::beast::http::request<boost::beast::http::string_body>&& req, const Peer& peer,
              ApiResponse* res) const;

  // Replaces the token set; requests already being answered keep the one they started with.
  void SetAuthenticator(std::shared_ptr<const Authenticator> auth);

 private:
  // Routes, authorises and calls the handler; returns the route label for metrics.
  std::string Route(ApiRequest* req, std::string_view target, std::string_view authorization,
                    const Peer& peer, ApiResponse* res) const;
  // Who sent the request, or false with the 401 in *res.
  bool Identify(std::string_view authorization, const Peer& peer, Principal* who,
                ApiResponse* res) const;
  void Refuse(const Refusal& r, const Peer& peer, ApiResponse* res) const;

  const ApiContext* ctx_;
  const BrowserGuard guard_;
  const AccessRules rules_;
  mutable Refusals refusals_;
  Router router_;
  mutable std::mutex auth_mu_;
  std::shared_ptr<const Authenticator> auth_;  // GUARDED_BY(auth_mu_)
};

}  // namespace netsnap::api
