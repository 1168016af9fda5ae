// The browser guard on TCP, table-driven over Host, Origin and Content-Type; and the same
// requests on the Unix socket, where no browser can reach and the guard does not apply.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api_harness.h"

namespace netsnap::testing {
namespace {

const char* kOperator = "browser-operator-token-0123456789";

struct Case {
  const char* method;
  const char* target;
  const char* host;    // "PORT" is replaced by the server's port; nullptr: no Host header
  const char* origin;  // nullptr: none
  const char* type;    // Content-Type; nullptr: none
  unsigned status;
  const char* code;  // the error code, "" for success
};

const Case kCases[] = {
    // Host names this server: loopback names and the listen address, with or without the port,
    // any case, plus [daemon] allowed_hosts.
    {"GET", "/v1/sources", "127.0.0.1:PORT", nullptr, nullptr, 200, ""},
    {"GET", "/v1/sources", "127.0.0.1", nullptr, nullptr, 200, ""},
    {"GET", "/v1/sources", "localhost:PORT", nullptr, nullptr, 200, ""},
    {"GET", "/v1/sources", "LocalHost", nullptr, nullptr, 200, ""},
    {"GET", "/v1/sources", "[::1]:PORT", nullptr, nullptr, 200, ""},
    {"GET", "/v1/sources", "netsnap.example", nullptr, nullptr, 200, ""},
    {"GET", "/v1/sources", "NETSNAP.example:8470", nullptr, nullptr, 200, ""},
    // A DNS-rebinding page sends its own name.
    {"GET", "/v1/sources", "attacker.example", nullptr, nullptr, 421, "misdirected_request"},
    {"GET", "/v1/sources", "attacker.example:PORT", nullptr, nullptr, 421, "misdirected_request"},
    {"GET", "/v1/sources", "localhost.attacker.example", nullptr, nullptr, 421,
     "misdirected_request"},
    {"GET", "/v1/sources", "127.0.0.1:PORT:1", nullptr, nullptr, 421, "misdirected_request"},
    {"GET", "/v1/sources", "localhost:80x", nullptr, nullptr, 421, "misdirected_request"},
    {"GET", "/v1/sources", "", nullptr, nullptr, 421, "misdirected_request"},
    {"GET", "/metrics", "attacker.example", nullptr, nullptr, 421, "misdirected_request"},
    // Origin, when present, is an allowed host over http or https.
    {"GET", "/v1/sources", "localhost:PORT", "http://localhost:PORT", nullptr, 200, ""},
    {"GET", "/v1/sources", "localhost:PORT", "https://netsnap.example", nullptr, 200, ""},
    {"GET", "/v1/sources", "localhost:PORT", "http://127.0.0.1", nullptr, 200, ""},
    {"GET", "/v1/sources", "localhost:PORT", "http://attacker.example", nullptr, 403,
     "forbidden_origin"},
    {"GET", "/v1/sources", "localhost:PORT", "null", nullptr, 403, "forbidden_origin"},
    {"GET", "/v1/sources", "localhost:PORT", "file://", nullptr, 403, "forbidden_origin"},
    {"GET", "/v1/sources", "localhost:PORT", "ftp://localhost", nullptr, 403, "forbidden_origin"},
    {"GET", "/v1/sources", "localhost:PORT", "http://localhost/path", nullptr, 403,
     "forbidden_origin"},
    // POST and PUT need application/json, parameters allowed, any case.
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", nullptr, "application/json", 200, ""},
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", nullptr,
     "application/json; charset=utf-8", 200, ""},
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", nullptr, "Application/JSON", 200, ""},
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", "http://localhost:PORT",
     "application/json", 200, ""},
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", nullptr, nullptr, 415,
     "unsupported_media_type"},
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", nullptr, "text/plain", 415,
     "unsupported_media_type"},
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", nullptr,
     "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", nullptr,
     "multipart/form-data; boundary=x", 415, "unsupported_media_type"},
    {"POST", "/v1/sources/main/snapshots", "localhost:PORT", nullptr, "application/jsonx", 415,
     "unsupported_media_type"},
    {"PUT", "/v1/sources/main/policy", "localhost:PORT", nullptr, "text/plain", 415,
     "unsupported_media_type"},
    // The whole browser-shaped attack: the Host check comes first.
    {"POST", "/v1/sources/main/rollbacks", "attacker.example", "http://attacker.example",
     "text/plain", 421, "misdirected_request"},
    {"POST", "/v1/sources/main/rollbacks", "localhost:PORT", "http://attacker.example",
     "text/plain", 403, "forbidden_origin"},
    {"POST", "/v1/sources/main/rollbacks", "localhost:PORT", "http://attacker.example",
     "application/json", 403, "forbidden_origin"},
};

std::string WithPort(const char* s, uint16_t port) {
  std::string out = s;
  size_t at = out.find("PORT");
  if (at != std::string::npos) out.replace(at, 4, std::to_string(port));
  return out;
}

HttpRequest MakeRequest(const Case& c, uint16_t port) {
  HttpRequest req;
  req.method = c.method;
  req.host = "127.0.0.1";
  req.port = std::to_string(port);
  req.target = c.target;
  if (c.host) req.headers.emplace_back("Host", WithPort(c.host, port));
  if (c.origin) req.headers.emplace_back("Origin", WithPort(c.origin, port));
  if (c.type) req.headers.emplace_back("Content-Type", c.type);
  req.headers.emplace_back("Authorization", std::string("Bearer ") + kOperator);
  req.body = std::string(c.method) == "POST" ? "{}" : "";
  if (std::string(c.target).find("rollbacks") != std::string::npos) req.body = R"({"to":1})";
  if (std::string(c.method) == "PUT") req.body = "{}";
  return req;
}

class ApiBrowser : public ::testing::Test {
 protected:
  static ApiOptions Options(const std::string& socket) {
    ApiOptions o;
    o.allowed_hosts = {"netsnap.example"};
    o.socket = socket;
    return o;
  }
  TempDir sockets_;
  std::string socket_ = sockets_.Sub("api.sock");
  ApiHarness h{Options(socket_), std::string(kOperator) + " operator op\n"};
};

TEST_F(ApiBrowser, HostOriginAndContentTypeOnTcp) {
  for (const Case& c : kCases) {
    std::string what = std::string(c.method) + " " + c.target +
                       " Host=" + (c.host ? c.host : "(none)") +
                       " Origin=" + (c.origin ? c.origin : "(none)") +
                       " Content-Type=" + (c.type ? c.type : "(none)");
    HttpReply r = Send(MakeRequest(c, h.port()));
    EXPECT_EQ(r.status, c.status) << what << ": " << r.body;
    if (*c.code) {
      EXPECT_EQ(r.json().at("error").at("code"), c.code) << what;
      EXPECT_EQ(r.headers["connection"], "close") << what;
    }
  }
  // Every refusal was counted by reason, none was audited.
  Metrics* m = h.daemon()->metrics();
  EXPECT_EQ(m->Get("netsnap_http_refused_total", {{"reason", "misdirected_request"}}), 8);
  EXPECT_EQ(m->Get("netsnap_http_refused_total", {{"reason", "forbidden_origin"}}), 7);
  EXPECT_EQ(m->Get("netsnap_http_refused_total", {{"reason", "unsupported_media_type"}}), 6);
  HttpReply events = Http(h.port(), "GET", "/v1/events?type=audit", "", kOperator);
  size_t allowed_posts = 4;
  EXPECT_EQ(events.json().at("events").as_array().size(), allowed_posts) << events.body;
}

TEST_F(ApiBrowser, NoHostHeaderIsMisdirected) {
  std::string raw = RawExchange(h.port(), "GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 421", 0), 0u) << raw;
  EXPECT_NE(raw.find("\"misdirected_request\""), std::string::npos) << raw;
}

TEST_F(ApiBrowser, TheSocketIsNotGuarded) {
  // No browser can reach a Unix socket: whatever Host, Origin or type a local client sends is
  // its own business (root is an operator there).
  for (const Case& c : kCases) {
    HttpRequest req = MakeRequest(c, 0);
    req.unix_socket = socket_;
    HttpReply r = Send(req);
    EXPECT_NE(r.status, 421u);
    EXPECT_NE(r.status, 415u);
    if (r.status == 403) ADD_FAILURE() << c.method << " " << c.target << ": " << r.body;
  }
}

}  // namespace
}  // namespace netsnap::testing
