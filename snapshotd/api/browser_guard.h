// Defence against web pages on TCP: a page the operator's browser shows may send requests to
// loopback (cross-site "simple" requests need no preflight) or rebind a name it controls to
// 127.0.0.1 and read the answers. So on TCP:
//   - the Host header must name this server (421 otherwise): a rebinding page sends its own name;
//   - an Origin header, when present, must be http(s) on an allowed host (403 otherwise);
//   - POST and PUT must carry Content-Type: application/json (415 otherwise), which a browser
//     only sends cross-site after a CORS preflight this server never grants.
// Clients that are not browsers (curl, the CLI) send no Origin and are unaffected.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace netsnap::api {

struct Refusal {
  unsigned status = 0;  // 0: not refused
  std::string code;     // the error code in the body; also the metric's reason label
  std::string message;
};

class BrowserGuard {
 public:
  // Allowed host names: localhost, 127.0.0.1, [::1], `listen_host` (the listen address without
  // its port) and `extra` (configured names); compared case-insensitively, with any port.
  BrowserGuard(std::string_view listen_host, const std::vector<std::string>& extra);

  // The refusal for `req`, or status 0 when it may go on.
  Refusal Check(const boost::beast::http::request<boost::beast::http::string_body>& req) const;

  // True when `host` ("name", "name:port", "[v6]:port") names an allowed host.
  bool HostAllowed(std::string_view host) const;

 private:
  bool OriginAllowed(std::string_view origin) const;

  std::set<std::string> hosts_;  // lower case, IPv6 in brackets, no port
};

}  // namespace netsnap::api
