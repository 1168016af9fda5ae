// Load from clients the server does not trust: refused calls cost no disk and keep no
// connection; event followers and connections per client are capped.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "api_harness.h"

namespace netsnap::testing {
namespace {

const char* kOperator = "load-operator-token-0123456789";

// A connection kept open by the test.
class Conn {
 public:
  explicit Conn(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Close();
  }
  explicit Conn(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Close();
  }
  ~Conn() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool Send(const std::string& bytes) {
    return fd_ >= 0 && send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                           static_cast<ssize_t>(bytes.size());
  }
  // Reads until `marker` has arrived, the server closes, or 30 s pass; returns all read so far.
  std::string ReadUntil(const std::string& marker) {
    pollfd p{fd_, POLLIN, 0};
    while (fd_ >= 0 && got_.find(marker) == std::string::npos && poll(&p, 1, 30000) > 0) {
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got_.append(buf, static_cast<size_t>(n));
    }
    return got_;
  }
  // True when the server has closed the connection (reads until it does, bounded).
  bool ServerClosed() {
    ReadUntil("\x01never\x01");
    return closed_;
  }

 private:
  int fd_ = -1;
  std::string got_;
  bool closed_ = false;
};

const std::string kGet = "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
const std::string kFollow =
    "GET /v1/events?follow=1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
    std::string(kOperator) + "\r\n\r\n";

TEST(ApiLoad, UnauthenticatedPostsCostNoAuditAndNoConnection) {
  ApiHarness h(ApiOptions{}, std::string(kOperator) + " operator op\n");
  const int kPosts = 2000;
  for (int i = 0; i < kPosts; ++i) {
    HttpReply r = Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":1})");
    ASSERT_EQ(r.status, 401) << r.body;
    ASSERT_EQ(r.headers["connection"], "close");
  }
  EXPECT_EQ(h.daemon()->metrics()->Get("netsnap_http_refused_total", {{"reason", "unauthorized"}}),
            kPosts);
  HttpReply r = Http(h.port(), "GET", "/v1/events?type=audit", "", kOperator);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("events").as_array().size(), 0u) << r.body;
  // A keep-alive client that is refused is closed at once: its second request is never read.
  Conn c(h.port());
  std::string post =
      "POST /v1/sources/main/snapshots HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
      "application/json\r\nContent-Length: 0\r\n\r\n";
  ASSERT_TRUE(c.Send(post + post));
  EXPECT_TRUE(c.ServerClosed());
  std::string got = c.ReadUntil("");
  EXPECT_EQ(got.find("HTTP/1.1 401"), 0u) << got;
  EXPECT_EQ(got.find("HTTP/1.1", 1), std::string::npos) << got;
  // The metrics endpoint shows the counter.
  r = Http(h.port(), "GET", "/metrics", "", kOperator);
  EXPECT_NE(r.body.find("netsnap_http_refused_total{reason=\"unauthorized\"} 2001"),
            std::string::npos)
      << r.body;
}

TEST(ApiLoad, FollowersAreCapped) {
  ApiOptions o;
  o.max_followers = 2;
  ApiHarness h(o, std::string(kOperator) + " operator op\n");
  auto a = std::make_unique<Conn>(h.port());
  Conn b(h.port());
  ASSERT_TRUE(a->Send(kFollow));
  ASSERT_TRUE(b.Send(kFollow));
  EXPECT_EQ(a->ReadUntil("\r\n\r\n").find("HTTP/1.1 200"), 0u);
  EXPECT_EQ(b.ReadUntil("\r\n\r\n").find("HTTP/1.1 200"), 0u);
  Conn c(h.port());
  ASSERT_TRUE(c.Send(kFollow));
  std::string got = c.ReadUntil("}\n");
  EXPECT_EQ(got.find("HTTP/1.1 503"), 0u) << got;
  EXPECT_NE(got.find("\"too_many_followers\""), std::string::npos) << got;
  EXPECT_TRUE(c.ServerClosed());
  // Plain requests are not followers.
  EXPECT_EQ(Http(h.port(), "GET", "/v1/events", "", kOperator).status, 200);
  // A follower that leaves frees its place (the server notices at its next heartbeat or write:
  // make it write by publishing an event).
  a.reset();
  bool admitted = false;
  for (int i = 0; i < 600 && !admitted; ++i) {
    ASSERT_EQ(Http(h.port(), "POST", "/v1/sources/main/snapshots", "", kOperator).status, 200);
    Conn d(h.port());
    ASSERT_TRUE(d.Send(kFollow));
    admitted = d.ReadUntil("\r\n\r\n").find("HTTP/1.1 200") == 0;
  }
  EXPECT_TRUE(admitted);
}

TEST(ApiLoad, ConnectionsPerClientAreCapped) {
  TempDir dir;
  ApiOptions o = LabOptions();
  o.max_connections_per_client = 3;
  o.socket = dir.Sub("api.sock");
  ApiHarness h(o);
  for (bool on_socket : {false, true}) {
    std::vector<std::unique_ptr<Conn>> open;
    for (int i = 0; i < 3; ++i) {
      open.push_back(on_socket ? std::make_unique<Conn>(o.socket)
                               : std::make_unique<Conn>(h.port()));
      ASSERT_TRUE(open.back()->Send(kGet));
      // Answered: the server has admitted it.
      ASSERT_EQ(open.back()->ReadUntil("}\n").find("HTTP/1.1 200"), 0u);
    }
    auto extra = on_socket ? std::make_unique<Conn>(o.socket) : std::make_unique<Conn>(h.port());
    std::string got = extra->ReadUntil("}\n");
    EXPECT_EQ(got.find("HTTP/1.1 503"), 0u) << got;
    EXPECT_NE(got.find("max_connections_per_client"), std::string::npos) << got;
    // Another client is not affected: on TCP another address, on the socket another channel.
    EXPECT_EQ(on_socket ? Http(h.port(), "GET", "/v1/health").status
                        : HttpSocket(o.socket, "GET", "/v1/health").status,
              200);
    // When one closes, the client may connect again.
    open.pop_back();
    bool admitted = false;
    for (int i = 0; i < 1000 && !admitted; ++i) {
      admitted = (on_socket ? HttpSocket(o.socket, "GET", "/v1/health")
                            : Http(h.port(), "GET", "/v1/health"))
                     .status == 200;
    }
    EXPECT_TRUE(admitted);
  }
}

}  // namespace
}  // namespace netsnap::testing
