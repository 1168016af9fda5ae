#include "http.h"

#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

namespace netsnap::e2e {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::seconds kRequestLimit{120};

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  for (size_t off = 0; off < data.size();) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Appends what arrives within `limit` to *out; false at the end of the stream or on timeout.
bool ReadSome(int fd, std::string* out, std::chrono::milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  int r = poll(&p, 1, static_cast<int>(std::max<int64_t>(limit.count(), 0)));
  if (r <= 0) return false;
  char buf[65536];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return false;
  out->append(buf, static_cast<size_t>(n));
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Head(uint16_t port, const std::string& method, const std::string& target,
                 const std::string& token) {
  std::string h =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  if (!token.empty()) h += "Authorization: Bearer " + token + "\r\n";
  return h;
}

// Undoes chunked transfer coding; returns the input when it is not well formed.
std::string Dechunk(const std::string& in) {
  std::string out;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return in;
    size_t n = std::stoul(in.substr(pos, eol - pos), nullptr, 16);
    if (n == 0) return out;
    if (eol + 2 + n > in.size()) return in;
    out.append(in, eol + 2, n);
    pos = eol + 2 + n + 2;
  }
  return out;
}

}  // namespace

json::value HttpReply::Json() const {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value(nullptr) : v;
}

std::string HttpReply::ErrorCode() const {
  json::value v = Json();
  if (!v.is_object()) return "";
  const json::value* e = v.as_object().if_contains("error");
  if (!e || !e->is_object()) return "";
  const json::value* c = e->as_object().if_contains("code");
  return c && c->is_string() ? std::string(c->as_string()) : "";
}

HttpReply HttpRequest(uint16_t port, const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body,
                      const std::map<std::string, std::string>& headers) {
  HttpReply reply;
  int fd = Connect(port);
  if (fd < 0) return reply;
  std::string req = Head(port, method, target, token) + "Connection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    // A Content-Type among `headers` replaces the JSON one (a test of what else is refused).
    bool own_type = false;
    for (const auto& [k, v] : headers) own_type |= strcasecmp(k.c_str(), "content-type") == 0;
    if (!own_type) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n" + body;
  std::string raw;
  if (SendAll(fd, req)) {
    auto end = Clock::now() + kRequestLimit;
    while (Clock::now() < end &&
           ReadSome(fd, &raw,
                    std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()))) {
    }
  }
  close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos) return reply;
  reply.status = std::atoi(raw.c_str() + 9);
  size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t v = line.find_first_not_of(' ', colon + 1);
      reply.headers[Lower(line.substr(0, colon))] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = eol + 2;
  }
  reply.body = raw.substr(head_end + 4);
  if (Lower(reply.headers["transfer-encoding"]) == "chunked") reply.body = Dechunk(reply.body);
  return reply;
}

HttpStream::HttpStream(uint16_t port, const std::string& target, const std::string& token,
                       const std::map<std::string, std::string>& headers) {
  fd_ = Connect(port);
  std::string head = Head(port, "GET", target, token);
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  if (fd_ >= 0 && !SendAll(fd_, head + "\r\n")) {
    close(fd_);
    fd_ = -1;
  }
}

HttpStream::~HttpStream() {
  if (fd_ >= 0) close(fd_);
}

bool HttpStream::ReadUntil(const std::function<bool(const std::string&)>& pred,
                           std::chrono::milliseconds limit) {
  auto end = Clock::now() + limit;
  while (!pred(text_)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (fd_ < 0 || left.count() <= 0 || !ReadSome(fd_, &text_, left)) return false;
  }
  return true;
}

}  // namespace netsnap::e2e
