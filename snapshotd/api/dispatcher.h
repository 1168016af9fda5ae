// Turns one parsed HTTP request into a response: target parsing, authentication, routing,
// authorisation, the handler, then metrics and the audit trail. No I/O: sessions do that.
// Thread-safe; shared by every session.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/auth.h"
#include "api/context.h"
#include "api/request.h"
#include "api/router.h"

namespace netsnap::api {

class Dispatcher {
 public:
  // ctx and auth must outlive the dispatcher.
  Dispatcher(const ApiContext* ctx, const Authenticator* auth);

  // Answers `req` from a peer that is (or is not) on loopback. Never throws; a handler that
  // throws is answered with 500.
  void Handle(boost::beast::http::request<boost::beast::http::string_body>&& req,
              bool peer_is_loopback, ApiResponse* res) const;

 private:
  // Routes, authorises and calls the handler; returns the route label for metrics.
  std::string Route(ApiRequest* req, std::string_view target, std::string_view authorization,
                    bool peer_is_loopback, ApiResponse* res) const;

  const ApiContext* ctx_;
  const Authenticator* auth_;
  Router router_;
};

}  // namespace netsnap::api
