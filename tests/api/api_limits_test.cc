// Limits and hostile clients: oversize and malformed requests, slow and idle clients, the
// connection cap, keep-alive, and many concurrent clients.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "api_harness.h"

namespace netsnap::testing {
namespace {

ApiOptions Tight() {
  ApiOptions o = LabOptions();
  o.read_timeout_s = 1;
  o.max_body_bytes = 4096;
  o.max_header_bytes = 2048;
  o.max_connections = 8;
  return o;
}

class ApiLimits : public ::testing::Test {
 protected:
  ApiHarness h{Tight()};
};

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True when the server closed `fd` within timeout_ms (reads whatever it sent first).
bool ClosedWithin(int fd, int timeout_ms) {
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (poll(&p, 1, 50) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
  }
  return false;
}

int StatusOf(const std::string& raw) {
  if (raw.size() < 12 || raw.rfind("HTTP/1.", 0) != 0) return 0;
  return std::stoi(raw.substr(9, 3));
}

TEST_F(ApiLimits, OversizeBodyIs413) {
  std::string big(8192, 'x');
  HttpReply r = Http(h.port(), "POST", "/v1/sources/main/snapshots", big);
  EXPECT_EQ(r.status, 413);
  // Announced but not sent: answered from the Content-Length alone.
  std::string raw = RawExchange(h.port(),
                                "POST /v1/sources/main/snapshots HTTP/1.1\r\nHost: localhost\r\n"
                                "Content-Length: 100000000\r\n\r\n");
  EXPECT_EQ(StatusOf(raw), 413) << raw;
}

TEST_F(ApiLimits, OversizeHeaderIs431) {
  std::string raw = RawExchange(h.port(), "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Junk: " +
                                              std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(StatusOf(raw), 431) << raw;
  raw = RawExchange(h.port(), "GET /v1/health?" + std::string(4096, 'a') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(StatusOf(raw), 431) << raw;
}

TEST_F(ApiLimits, MalformedRequestsGet400) {
  for (const std::string& bad : std::vector<std::string>{
           "GARBAGE\r\n\r\n",
           "GET /v1/health HTTP/9.9\r\n\r\n",
           "GET /v1/health HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
           "GET /v1/health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "GET  HTTP/1.1\r\n\r\n",
           "GET /v1/\x01health HTTP/1.1\r\n\r\n",
       }) {
    std::string raw = RawExchange(h.port(), bad, 2000);
    int status = StatusOf(raw);
    EXPECT_TRUE(status == 400 || status == 404) << bad << " -> " << raw;
  }
  // Targets that are not origin-form or have bad escapes.
  EXPECT_EQ(
      StatusOf(RawExchange(h.port(), "GET http://x/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")),
      400);
  EXPECT_EQ(
      StatusOf(RawExchange(h.port(), "GET /v1/sources/%zz HTTP/1.1\r\nHost: localhost\r\n\r\n")),
      400);
  // Bodies that are not JSON objects.
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/rollbacks", "{").status, 400);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/rollbacks", "\"to\"").status, 400);
  EXPECT_EQ(Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":{}})").status, 400);
  EXPECT_EQ(
      Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":1,"dry_run":"yes"})").status,
      400);
  EXPECT_EQ(
      Http(h.port(), "POST", "/v1/sources/main/rollbacks", R"({"to":1,"confirm_within_s":-1})")
          .status,
      400);
  // Still alive.
  EXPECT_EQ(Http(h.port(), "GET", "/v1/health").status, 200);
}

TEST_F(ApiLimits, SlowClientIsDropped) {
  int fd = Connect(h.port());
  ASSERT_GE(fd, 0);
  ASSERT_EQ(send(fd, "GET /v1/hea", 11, MSG_NOSIGNAL), 11);
  // The read timeout is 1 s: trickling a byte every 200 ms does not extend it, so the server
  // closes the connection while the trickle (at most 6 s) goes on.
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    closed = ClosedWithin(fd, 200);
    if (!closed) send(fd, "l", 1, MSG_NOSIGNAL);
  }
  EXPECT_TRUE(closed);
  close(fd);
}

TEST_F(ApiLimits, IdleKeepAliveConnectionIsDropped) {
  int fd = Connect(h.port());
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(ClosedWithin(fd, 10'000));  // the read timeout is 1 s
  close(fd);
}

TEST_F(ApiLimits, KeepAliveServesManyRequestsOnOneConnection) {
  std::string req = "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
  std::string raw = RawExchange(h.port(), req + req + req, 1500);
  size_t count = 0;
  for (size_t pos = 0; (pos = raw.find("HTTP/1.1 200", pos)) != std::string::npos; ++pos) ++count;
  EXPECT_EQ(count, 3u) << raw;
}

TEST_F(ApiLimits, ConnectionCapAnswers503) {
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) fds.push_back(Connect(h.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string raw =
      RawExchange(h.port(), "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n", 1000);
  EXPECT_EQ(StatusOf(raw), 503) << raw;
  EXPECT_NE(raw.find("too_many_connections"), std::string::npos);
  for (int fd : fds) close(fd);
  // Served again once the server has seen the closes.
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = Http(h.port(), "GET", "/v1/health").status;
  }
  EXPECT_EQ(status, 200);
}

TEST(ApiConcurrency, ManyClientsAtOnce) {
  ApiHarness h;
  h.Capture(TestRoutes(200, "192.0.2.7"));
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 100; ++i) {
        const char* target = (i + c) % 3 == 0   ? "/v1/sources/main/versions"
                             : (i + c) % 3 == 1 ? "/v1/sources/main/versions/2"
                                                : "/v1/sources/main/diff?from=1&to=2";
        (Http(h.port(), "GET", target).status == 200 ? ok : bad)++;
        if (i % 25 == 0) Http(h.port(), "POST", "/v1/sources/main/snapshots");
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace netsnap::testing
