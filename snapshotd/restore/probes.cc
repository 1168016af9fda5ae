#include "restore/probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "netsnap/route.h"

namespace netsnap {

namespace {

constexpr int kTimeoutMs = 1000;

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

// A DNS query for an A record of `name`; OK when the answer is NOERROR with an answer.
Status DnsQuery(const std::string& name, const std::string& server_spec) {
  std::string host;
  uint16_t port;
  if (!SplitHostPort(server_spec, &host, &port, 53)) {
    return Status::InvalidArgument("dns probe server must be address[:port]");
  }
  sockaddr_storage ss;
  socklen_t len;
  NETSNAP_RETURN_IF_ERROR(ToSockaddr(host, port, &ss, &len));
  std::string q = {'\x4e', '\x53', '\x01', '\x00', 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    size_t n = dot - start;
    if (n == 0 || n > 63) break;
    q.push_back(static_cast<char>(n));
    q.append(name, start, n);
    start = dot + 1;
  }
  q.append({0, 0, 1, 0, 1});
  Fd s{socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return Status::IOError(std::string("socket: ") + strerror(errno));
  if (sendto(s.fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return Status::Unavailable("dns " + name + ": " + strerror(errno));
  }
  if (!WaitFd(s.fd, POLLIN)) return Status::Unavailable("dns " + name + ": no answer");
  unsigned char buf[1500];
  ssize_t n = recv(s.fd, buf, sizeof buf, 0);
  if (n < 12 || buf[0] != 0x4e || buf[1] != 0x53) {
    return Status::Unavailable("dns " + name + ": bad answer");
  }
  int rcode = buf[3] & 0x0f;
  int answers = (buf[6] << 8) | buf[7];
  if (rcode != 0 || answers == 0) {
    return Status::Unavailable("dns " + name + ": rcode " + std::to_string(rcode) + ", " +
                               std::to_string(answers) + " answers");
  }
  return Status::OK();
}

Status Dns(const std::string& target) {
  size_t at = target.find('@');
  std::string name = target.substr(0, at);
  if (name.empty()) return Status::InvalidArgument("dns probe needs a name");
  if (at != std::string::npos) return DnsQuery(name, target.substr(at + 1));
  addrinfo* res = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, nullptr, &res);
  if (res) freeaddrinfo(res);
  if (rc != 0) return Status::Unavailable("dns " + name + ": " + gai_strerror(rc));
  return Status::OK();
}

uint16_t Checksum(const unsigned char* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n % 2) sum += p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Status Gateway(const std::string& target) {
  sockaddr_storage ss;
  socklen_t len;
  NETSNAP_RETURN_IF_ERROR(ToSockaddr(target, 0, &ss, &len));
  bool v6 = ss.ss_family == AF_INET6;
  int proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  Fd s{socket(ss.ss_family, SOCK_RAW | SOCK_CLOEXEC, proto)};
  if (s.fd < 0) return Status::IOError(std::string("raw socket: ") + strerror(errno));
  unsigned char pkt[16] = {static_cast<unsigned char>(v6 ? 128 : 8), 0, 0, 0, 0x4e, 0x53, 0, 1};
  if (!v6) {
    uint16_t c = Checksum(pkt, sizeof pkt);
    pkt[2] = static_cast<unsigned char>(c >> 8);
    pkt[3] = static_cast<unsigned char>(c);
  }
  if (sendto(s.fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return Status::Unavailable("gateway " + target + ": " + strerror(errno));
  }
  for (int i = 0; i < 8; ++i) {
    if (!WaitFd(s.fd, POLLIN)) break;
    unsigned char buf[1500];
    ssize_t n = recv(s.fd, buf, sizeof buf, 0);
    size_t off = v6 ? 0 : (n > 0 ? (buf[0] & 0x0f) * 4u : 0);
    if (n >= static_cast<ssize_t>(off + 8) && buf[off] == (v6 ? 129 : 0) && buf[off + 4] == 0x4e &&
        buf[off + 5] == 0x53) {
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
    return p.target.empty() || p.target[0] == '@'
               ? Status::InvalidArgument("dns probe target must be name[@server[:port]]")
               : Status::OK();
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

}  // namespace netsnap
