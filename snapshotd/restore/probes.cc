#include "restore/probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "common/mutex.h"
#include "netsnap/route.h"

namespace netsnap {

namespace {

constexpr int kTimeoutMs = 1000;
// getaddrinfo has no timeout of its own; the system resolver may wait 5 s per server and try.
constexpr auto kResolveTimeout = std::chrono::milliseconds(2000);

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// Splits "host:port" and "[v6]:port".
bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port, uint16_t def) {
  *port = def;
  if (!s.empty() && s[0] == '[') {
    size_t end = s.find(']');
    if (end == std::string::npos) return false;
    *host = s.substr(1, end - 1);
    if (end + 1 < s.size()) {
      if (s[end + 1] != ':') return false;
      *port = static_cast<uint16_t>(std::atoi(s.c_str() + end + 2));
    }
    return !host->empty() && *port != 0;
  }
  size_t colon = s.rfind(':');
  if (colon != std::string::npos && s.find(':') == colon) {
    *host = s.substr(0, colon);
    int p = std::atoi(s.c_str() + colon + 1);
    if (p <= 0 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } else {
    *host = s;
  }
  return !host->empty() && *port != 0;
}

Status ToSockaddr(const std::string& host, uint16_t port, sockaddr_storage* ss, socklen_t* len) {
  Address a;
  NETSNAP_RETURN_IF_ERROR(Address::Parse(host, &a));
  std::memset(ss, 0, sizeof *ss);
  if (a.family == 2) {
    auto* in = reinterpret_cast<sockaddr_in*>(ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, a.addr, 4);
    *len = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, a.addr, 16);
    *len = sizeof *in6;
  }
  return Status::OK();
}

bool WaitFd(int fd, short events) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, kTimeoutMs) == 1 && (p.revents & events);
}

// Waits for input until `deadline`; false when it passed.
bool WaitInput(int fd, Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(left.count())) == 1 && (p.revents & POLLIN);
}

// 16 unpredictable bits: a query id or an echo id that an off-path sender must guess.
uint16_t Random16() {
  uint16_t v = 0;
  // getrandom of 2 bytes never blocks once the pool is initialised and is never short.
  if (getrandom(&v, sizeof v, 0) != sizeof v)
    v = static_cast<uint16_t>(Clock::now().time_since_epoch().count());
  return v;
}

// A name as DNS wire labels; false when a label is empty or longer than 63 bytes, or the whole
// is longer than 255.
bool EncodeName(std::string_view name, std::string* out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    size_t n = dot - start;
    if (n == 0 || n > 63) return false;
    out->push_back(static_cast<char>(n));
    out->append(name.substr(start, n));
    start = dot + 1;
  }
  out->push_back(0);
  return true;
}

// Resolves `name` with the system resolver, giving up after kResolveTimeout. The lookup runs
// on a thread of its own, which is left to finish alone when it takes longer: getaddrinfo
// cannot be interrupted.
Status Resolve(const std::string& name) {
  struct Shared {
    Mutex mu;
    CondVar cv;
    bool done GUARDED_BY(mu) = false;
    int rc GUARDED_BY(mu) = 0;
  };
  auto shared = std::make_shared<Shared>();
  std::thread([shared, name] {
    addrinfo* res = nullptr;
    int rc = getaddrinfo(name.c_str(), nullptr, nullptr, &res);
    if (res) freeaddrinfo(res);
    MutexLock l(&shared->mu);
    shared->rc = rc;
    shared->done = true;
    shared->cv.SignalAll();
  }).detach();
  MutexLock l(&shared->mu);
  if (!shared->cv.WaitFor(&shared->mu, kResolveTimeout,
                          [&]() REQUIRES(shared->mu) { return shared->done; })) {
    return Status::Unavailable("dns " + name + ": no answer from the system resolver within " +
                               std::to_string(kResolveTimeout.count()) + " ms");
  }
  if (shared->rc != 0) return Status::Unavailable("dns " + name + ": " + gai_strerror(shared->rc));
  return Status::OK();
}

Status Tcp(const std::string& target) {
  std::string host;
  uint16_t port;
  if (!SplitHostPort(target, &host, &port, 0)) {
    return Status::InvalidArgument("tcp probe needs host:port, got '" + target + "'");
  }
  sockaddr_storage ss;
  socklen_t len;
  NETSNAP_RETURN_IF_ERROR(ToSockaddr(host, port, &ss, &len));
  Fd s{socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return Status::IOError(std::string("socket: ") + strerror(errno));
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
    return Status::Unavailable("tcp " + target + ": " + strerror(errno));
  }
  if (!WaitFd(s.fd, POLLOUT)) return Status::Unavailable("tcp " + target + ": timed out");
  int err = 0;
  socklen_t el = sizeof err;
  getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &el);
  if (err) return Status::Unavailable("tcp " + target + ": " + strerror(err));
  return Status::OK();
}

// Whether `answer` answers `query`: the same id, the response bit, and the same question (name
// compared without case, which some servers randomise; type; class).
bool Answers(const std::string& query, const unsigned char* answer, size_t n) {
  if (n < query.size() || answer[0] != static_cast<unsigned char>(query[0]) ||
      answer[1] != static_cast<unsigned char>(query[1]) || !(answer[2] & 0x80) || answer[4] != 0 ||
      answer[5] != 1) {
    return false;
  }
  for (size_t i = 12; i < query.size(); ++i) {
    if (std::tolower(answer[i]) != std::tolower(static_cast<unsigned char>(query[i]))) return false;
  }
  return true;
}

// A DNS query for an A record of `name`; OK when the answer is NOERROR with an answer. The
// socket is connected, so the kernel delivers only datagrams from the server's address and
// port; the query id is random and the answer must repeat it and the question.
Status DnsQuery(const std::string& name, const std::string& server_spec) {
  std::string host;
  uint16_t port;
  if (!SplitHostPort(server_spec, &host, &port, 53)) {
    return Status::InvalidArgument("dns probe server must be address[:port]");
  }
  sockaddr_storage ss;
  socklen_t len;
  NETSNAP_RETURN_IF_ERROR(ToSockaddr(host, port, &ss, &len));
  uint16_t id = Random16();
  std::string q = {static_cast<char>(id >> 8), static_cast<char>(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  if (!EncodeName(name, &q)) return Status::InvalidArgument("dns probe: bad name '" + name + "'");
  q.append({0, 1, 0, 1});  // type A, class IN
  Fd s{socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return Status::IOError(std::string("socket: ") + strerror(errno));
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      send(s.fd, q.data(), q.size(), 0) < 0) {
    return Status::Unavailable("dns " + name + ": " + strerror(errno));
  }
  auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (WaitInput(s.fd, deadline)) {
    unsigned char buf[1500];
    ssize_t n = recv(s.fd, buf, sizeof buf, 0);
    if (n < 0 || !Answers(q, buf, static_cast<size_t>(n))) continue;  // not the answer: wait on
    int rcode = buf[3] & 0x0f;
    int answers = (buf[6] << 8) | buf[7];
    if (rcode != 0 || answers == 0) {
      return Status::Unavailable("dns " + name + ": rcode " + std::to_string(rcode) + ", " +
                                 std::to_string(answers) + " answers");
    }
    return Status::OK();
  }
  return Status::Unavailable("dns " + name + ": no answer");
}

Status Dns(const std::string& target) {
  size_t at = target.find('@');
  std::string name = target.substr(0, at);
  if (name.empty()) return Status::InvalidArgument("dns probe needs a name");
  if (at != std::string::npos) return DnsQuery(name, target.substr(at + 1));
  return Resolve(name);
}

// Whether `from` is the address `want` names (family, address; the port is not used).
bool SameAddress(const sockaddr_storage& from, const sockaddr_storage& want) {
  if (from.ss_family != want.ss_family) return false;
  if (want.ss_family == AF_INET) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in&>(from).sin_addr,
                       &reinterpret_cast<const sockaddr_in&>(want).sin_addr, 4) == 0;
  }
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(from).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(want).sin6_addr, 16) == 0;
}

// One ICMP echo with a random id and sequence; OK when an echo reply from the target itself
// repeats both. Other ICMP the raw socket sees (other pings, forged replies) is skipped.
Status Gateway(const std::string& target) {
  sockaddr_storage ss;
  socklen_t len;
  NETSNAP_RETURN_IF_ERROR(ToSockaddr(target, 0, &ss, &len));
  bool v6 = ss.ss_family == AF_INET6;
  int proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  Fd s{socket(ss.ss_family, SOCK_RAW | SOCK_CLOEXEC, proto)};
  if (s.fd < 0) return Status::IOError(std::string("raw socket: ") + strerror(errno));
  uint16_t id = Random16(), seq = Random16();
  unsigned char pkt[16] = {static_cast<unsigned char>(v6 ? 128 : 8),
                           0,
                           0,
                           0,
                           static_cast<unsigned char>(id >> 8),
                           static_cast<unsigned char>(id),
                           static_cast<unsigned char>(seq >> 8),
                           static_cast<unsigned char>(seq)};
  if (!v6) SetIcmpChecksum(pkt, sizeof pkt);  // the kernel fills in the ICMPv6 checksum
  if (sendto(s.fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return Status::Unavailable("gateway " + target + ": " + strerror(errno));
  }
  auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (WaitInput(s.fd, deadline)) {
    unsigned char buf[1500];
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(s.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0 || !SameAddress(from, ss)) continue;
    size_t off = v6 ? 0 : (buf[0] & 0x0f) * 4u;  // IPv4 raw sockets see the IP header
    if (static_cast<size_t>(n) >= off + 8 && buf[off] == (v6 ? 129 : 0) &&
        std::memcmp(buf + off + 4, pkt + 4, 4) == 0) {
      return Status::OK();
    }
  }
  return Status::Unavailable("gateway " + target + ": no echo reply");
}

Status RunHere(const Probe& p) {
  if (p.type == "tcp") return Tcp(p.target);
  if (p.type == "dns") return Dns(p.target);
  if (p.type == "gateway") return Gateway(p.target);
  return Status::InvalidArgument("unknown probe type '" + p.type + "' (tcp, dns, gateway)");
}

}  // namespace

Status ValidateProbe(const Probe& p) {
  std::string host;
  uint16_t port;
  if (p.type == "tcp") {
    if (!SplitHostPort(p.target, &host, &port, 0)) {
      return Status::InvalidArgument("tcp probe target must be address:port");
    }
    Address a;
    return Address::Parse(host, &a);
  }
  if (p.type == "dns") {
    size_t at = p.target.find('@');
    std::string wire;
    if (!EncodeName(std::string_view(p.target).substr(0, at), &wire)) {
      return Status::InvalidArgument("dns probe target must be name[@server[:port]]");
    }
    if (at == std::string::npos) return Status::OK();
    if (!SplitHostPort(p.target.substr(at + 1), &host, &port, 53)) {
      return Status::InvalidArgument("dns probe server must be address[:port]");
    }
    Address a;
    return Address::Parse(host, &a);
  }
  if (p.type == "gateway") {
    Address a;
    return Address::Parse(p.target, &a);
  }
  return Status::InvalidArgument("unknown probe type '" + p.type + "' (tcp, dns, gateway)");
}

Status RunProbe(const Probe& probe, const std::string& netns_path) {
  if (netns_path.empty()) return RunHere(probe);
  // Enter the namespace on a thread of its own; the caller's thread stays where it is.
  Status result;
  std::thread t([&] {
    int fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      result = Status::IOError("cannot enter namespace " + netns_path + ": " + strerror(errno));
      if (fd >= 0) close(fd);
      return;
    }
    close(fd);
    result = RunHere(probe);
  });
  t.join();
  return result;
}

void SetIcmpChecksum(unsigned char* msg, size_t n) {
  msg[2] = msg[3] = 0;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (msg[i] << 8) | msg[i + 1];
  if (n % 2) sum += msg[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  msg[2] = static_cast<unsigned char>(~sum >> 8);
  msg[3] = static_cast<unsigned char>(~sum);
}

}  // namespace netsnap
