// A follower of /v1/events?follow=1 that stops reading is dropped (docs/api.md, "Events"), so
// it holds neither a follower slot nor the server's memory.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

namespace netsnap::e2e {
namespace {

// A connection to 127.0.0.1:port with a tiny receive buffer (set before connect, so the window
// it advertises stays small); -1 on failure.
int ConnectTiny(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int tiny = 1024;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads until the peer ends the stream (true) or `limit` passes without it (false).
bool DrainsToEnd(int fd, milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  while (true) {
    auto left =
        std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return true;  // end of stream, or reset
  }
}

TEST(E2eFollower, AFollowerThatStopsReadingIsDropped) {
  Snapshotd d;
  std::string resolv = d.dir().Sub("resolv.conf");
  WriteFile(resolv, "nameserver 192.0.2.53\n");
  // One follower at a time: a second is accepted only once the stalled one is gone.
  d.Configure(ResolverSource("r", "resolv.conf", resolv), "max_followers = 1\n");
  ASSERT_TRUE(d.Start());

  int fd = ConnectTiny(d.port());
  ASSERT_GE(fd, 0);
  std::string head =
      "GET /v1/events?follow=1 HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(d.port()) +
      "\r\nAuthorization: Bearer " + kOperatorToken + "\r\n\r\n";
  ASSERT_EQ(write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  // The slot is taken once another follower is turned away.
  auto second_follower_status = [&] {
    HttpStream s(d.port(), "/v1/events?follow=1", kOperatorToken);
    s.ReadUntil([](const std::string& t) { return t.find("\r\n") != std::string::npos; },
                seconds(10));
    return s.text().substr(0, s.text().find("\r\n"));
  };
  ASSERT_TRUE(WaitFor(
      [&] { return second_follower_status() == "HTTP/1.1 503 Service Unavailable"; }, seconds(10)));

  // Events until the server gives up on the stalled stream (never read) and the slot is free
  // again: each pause and resume is an audit event and a detection event of a few hundred
  // bytes, so a batch is 200 KiB of stream; the kernel buffers a few MiB at most.
  bool dropped = false;
  for (int batch = 0; batch < 100 && !dropped; ++batch) {
    for (int i = 0; i < 500; ++i) {
      ASSERT_EQ(d.Post(i % 2 ? "/v1/sources/r/resume" : "/v1/sources/r/pause").status, 200);
    }
    dropped = second_follower_status() == "HTTP/1.1 200 OK";
  }
  if (!dropped) {
    dropped = WaitFor([&] { return second_follower_status() == "HTTP/1.1 200 OK"; }, seconds(30));
  }
  ASSERT_TRUE(dropped) << "the stalled follower still holds the only slot";
  // What was sent before the drop, then the end of the stream.
  EXPECT_TRUE(DrainsToEnd(fd, seconds(30)));
  close(fd);
}

}  // namespace
}  // namespace netsnap::e2e
