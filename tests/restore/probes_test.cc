// Probes against answers forged by another socket on the same host: a DNS answer from another
// port, with another id or another question, and ICMP echo replies with another id or from
// another address (inside a network namespace the test creates) are never taken for the real
// answer. Each case ends with the real answer, so a probe that took a forged one would pass.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <string>
#include <thread>

#include "netns.h"
#include "restore/probes.h"

namespace netsnap {
namespace {

using testing::NetNs;

struct Socket {
  int fd = -1;
  explicit Socket(int f) : fd(f) {}
  ~Socket() {
    if (fd >= 0) close(fd);
  }
};

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int BoundUdp() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Loopback(0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 10'000) == 1;
}

// An answer to `query`: the header and question repeated, `rcode`, one A record when 0.
std::string Answer(std::string query, int rcode) {
  query[2] = static_cast<char>(query[2] | 0x80);
  query[3] = static_cast<char>(0x80 | rcode);
  if (rcode == 0) {
    query[7] = 1;
    query.append({'\xc0', '\x0c', 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3});
  }
  return query;
}

class DnsProbe : public ::testing::Test {
 protected:
  // Starts a probe of `name` against the server socket and reads its query.
  void Ask(const std::string& name) {
    result_ = std::async(std::launch::async, [this, name] {
      return RunProbe({"dns", name + "@127.0.0.1:" + std::to_string(PortOf(server_.fd))}, "");
    });
    ASSERT_TRUE(Readable(server_.fd));
    char buf[512];
    client_len_ = sizeof client_;
    ssize_t n = recvfrom(server_.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&client_),
                         &client_len_);
    ASSERT_GT(n, 12);
    query_.assign(buf, static_cast<size_t>(n));
  }
  void Send(const Socket& from, const std::string& datagram) {
    ASSERT_EQ(sendto(from.fd, datagram.data(), datagram.size(), 0,
                     reinterpret_cast<sockaddr*>(&client_), client_len_),
              static_cast<ssize_t>(datagram.size()));
  }

  Socket server_{BoundUdp()}, other_{BoundUdp()};
  std::future<Status> result_;
  std::string query_;
  sockaddr_in client_{};
  socklen_t client_len_ = 0;
};

TEST_F(DnsProbe, TakesOnlyTheServersAnswerToItsQuestion) {
  ASSERT_GE(server_.fd, 0);
  ASSERT_GE(other_.fd, 0);
  Ask("ok.example");
  // Forged answers that say "it resolves"...
  Send(other_, Answer(query_, 0));  // from another port
  std::string wrong_id = Answer(query_, 0);
  wrong_id[0] = static_cast<char>(wrong_id[0] ^ 0x5a);
  Send(server_, wrong_id);
  std::string wrong_name = Answer(query_, 0);
  wrong_name[13] = 'x';  // "xk.example"
  Send(server_, wrong_name);
  std::string wrong_type = Answer(query_, 0);
  wrong_type[query_.size() - 3] = 28;  // AAAA
  Send(server_, wrong_type);
  std::string query_echo = query_;  // a query is not an answer
  query_echo[7] = 1;
  Send(server_, query_echo);
  // ...then the server's own: the name does not exist.
  Send(server_, Answer(query_, 3));
  Status s = result_.get();
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("rcode 3"), std::string::npos) << s.ToString();
}

TEST_F(DnsProbe, QueryIdsAreRandomAndARealAnswerPasses) {
  Ask("ok.example");
  std::string first = query_.substr(0, 2);
  std::string answer = Answer(query_, 0);
  answer[13] = 'O';  // servers may change the case of the name (0x20 randomisation)
  Send(server_, answer);
  Status s = result_.get();
  EXPECT_TRUE(s.ok()) << s.ToString();
  // Another query, another id (a repeat by chance is 1 in 65,536; three in a row is a bug).
  bool differs = false;
  for (int i = 0; i < 3 && !differs; ++i) {
    Ask("ok.example");
    differs = query_.substr(0, 2) != first;
    Send(server_, Answer(query_, 0));
    EXPECT_TRUE(result_.get().ok());
  }
  EXPECT_TRUE(differs);
}

TEST(DnsProbeCheck, BadNamesAreRefused) {
  EXPECT_FALSE(ValidateProbe({"dns", "a..b@127.0.0.1"}).ok());
  EXPECT_FALSE(ValidateProbe({"dns", std::string(64, 'a') + ".example"}).ok());
  EXPECT_FALSE(ValidateProbe({"dns", "ok.example@not-an-address"}).ok());
  EXPECT_TRUE(ValidateProbe({"dns", "ok.example@127.0.0.1:5353"}).ok());
  EXPECT_TRUE(ValidateProbe({"dns", "ok.example."}).ok());
}

// In the namespace, where the kernel is told not to answer pings: a raw socket waits for the
// probe's echo request to 10.99.0.2 and answers it with `replies` (source address, and whether
// the id is right), in order.
class Pinger {
 public:
  struct Reply {
    const char* from;
    bool right_id;
  };
  Pinger(const NetNs& ns, std::vector<Reply> replies) {
    ready_ = ready_promise_.get_future();
    thread_ = std::thread([this, path = ns.path(), replies] { Run(path, replies); });
    ready_.wait();
  }
  ~Pinger() { thread_.join(); }
  int sent() const { return sent_; }

 private:
  void Run(const std::string& path, const std::vector<Reply>& replies) {
    int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    bool in = ns >= 0 && setns(ns, CLONE_NEWNET) == 0;
    if (ns >= 0) close(ns);
    Socket listen(in ? socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP) : -1);
    ready_promise_.set_value();
    if (listen.fd < 0) return;
    unsigned char req[1500];
    sockaddr_in prober{};
    while (Readable(listen.fd)) {
      socklen_t len = sizeof prober;
      ssize_t n =
          recvfrom(listen.fd, req, sizeof req, 0, reinterpret_cast<sockaddr*>(&prober), &len);
      size_t off = (req[0] & 0x0f) * 4u;
      if (n >= static_cast<ssize_t>(off + 8) && req[off] == 8) break;  // the echo request
    }
    size_t off = (req[0] & 0x0f) * 4u;
    for (const Reply& r : replies) {
      Socket out(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP));
      sockaddr_in src{};
      src.sin_family = AF_INET;
      inet_pton(AF_INET, r.from, &src.sin_addr);
      if (bind(out.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) continue;
      unsigned char pkt[16];
      std::memcpy(pkt, req + off, sizeof pkt);
      pkt[0] = 0;  // echo reply
      if (!r.right_id) pkt[4] ^= 0x5a;
      SetIcmpChecksum(pkt, sizeof pkt);
      if (sendto(out.fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&prober), sizeof prober) ==
          sizeof pkt) {
        ++sent_;
      }
    }
  }

  std::promise<void> ready_promise_;
  std::future<void> ready_;
  std::thread thread_;
  std::atomic<int> sent_{0};
};

TEST(GatewayProbe, ForgedEchoRepliesAreNotTaken) {
  NetNs ns;
  ASSERT_EQ(ns.Exec("sysctl -qw net.ipv4.icmp_echo_ignore_all=1"), 0);
  {
    // The right id from another address, and the target's address with another id.
    Pinger p(ns, {{"10.99.0.1", true}, {"10.99.0.2", false}});
    Status s = RunProbe({"gateway", "10.99.0.2"}, ns.path());
    EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
    std::this_thread::yield();
  }
  {
    // The same forgeries, then the real reply: taken.
    Pinger p(ns, {{"10.99.0.1", true}, {"10.99.0.2", false}, {"10.99.0.2", true}});
    Status s = RunProbe({"gateway", "10.99.0.2"}, ns.path());
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

}  // namespace
}  // namespace netsnap
