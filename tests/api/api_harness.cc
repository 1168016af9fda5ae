#include "api_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <stdexcept>

#include "api/context.h"
#include "common/http_client.h"

namespace netsnap::testing {

ApiOptions LabOptions() {
  ApiOptions o;
  o.allow_loopback_operator = true;
  return o;
}

ApiHarness::ApiHarness(ApiOptions options, const std::string& tokens, const std::string& policies) {
  DaemonConfig config;
  if (!policies.empty()) {
    Status p = ParseConfig(policies, "test.toml", &config);
    if (!p.ok()) throw std::runtime_error("configuration: " + p.ToString());
  }
  config.data_dir = dir_.path();
  daemon_ = std::make_unique<Daemon>(config);
  Status s = daemon_->Start();
  if (!s.ok()) throw std::runtime_error("daemon: " + s.ToString());
  auto src = std::make_unique<MemorySource>("main");
  source_ = src.get();
  source_->SetRoutes(TestRoutes(10, "192.0.2.1"));
  s = daemon_->AddSource(std::move(src));
  if (!s.ok()) throw std::runtime_error("source: " + s.ToString());
  recorder_ = daemon_->FindSource("main");
  if (!tokens.empty()) {
    options.token_file = dir_.Sub("tokens");
    FILE* f = fopen(options.token_file.c_str(), "w");
    fputs(tokens.c_str(), f);
    fclose(f);
    chmod(options.token_file.c_str(), 0600);
  }
  options.listen = "127.0.0.1:0";
  rollbacks_ = std::make_unique<RollbackManager>(RollbackDeps::Of(daemon_.get()));
  s = rollbacks_->Start();
  if (!s.ok()) throw std::runtime_error("rollbacks: " + s.ToString());
  s = Detection::Create(daemon_.get(), rollbacks_.get(), config, &detection_);
  if (!s.ok()) throw std::runtime_error("detection: " + s.ToString());
  rollback_service_ = std::make_unique<api::ManagedRollbacks>(rollbacks_.get(), daemon_->store());
  api::ApiContext ctx;
  ctx.rollbacks = rollback_service_.get();
  ctx.store = daemon_->store();
  ctx.events = daemon_->events();
  ctx.metrics = daemon_->metrics();
  ctx.sources = {recorder_};
  ctx.detection = detection_.get();
  s = ApiServer::Start(ctx, options, &server_);
  if (!s.ok()) throw std::runtime_error("api: " + s.ToString());
}

ApiHarness::~ApiHarness() {
  server_->Stop();
  server_.reset();
  detection_->Stop();
  rollbacks_->Stop();
  daemon_->Stop();
}

uint64_t ApiHarness::Capture(const std::vector<Route>& routes) {
  source_->SetRoutes(routes);
  VersionHeader h;
  Status s = recorder_->CaptureNow(Cause::kManual, Actor{}, "test", &h);
  if (!s.ok()) throw std::runtime_error("capture: " + s.ToString());
  return h.version;
}

boost::json::value HttpReply::json() const { return boost::json::parse(body); }

namespace {
HttpRequest MakeRequest(const std::string& method, const std::string& target,
                        const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.host = "127.0.0.1";
  req.target = target;
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.headers.emplace_back("Content-Type", "application/json");
  }
  req.body = body;
  return req;
}
}  // namespace

HttpReply Http(uint16_t port, const std::string& method, const std::string& target,
               const std::string& body, const std::string& token) {
  HttpRequest req = MakeRequest(method, target, body);
  req.port = std::to_string(port);
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  return Send(req);
}

HttpReply HttpSocket(const std::string& path, const std::string& method, const std::string& target,
                     const std::string& body) {
  HttpRequest req = MakeRequest(method, target, body);
  req.host = "localhost";
  req.unix_socket = path;
  return Send(req);
}

HttpReply Send(const HttpRequest& req) {
  HttpLimits limits;
  limits.timeout = std::chrono::seconds(60);
  HttpAnswer answer;
  HttpReply out;
  if (!HttpCall(req, limits, &answer).ok()) return out;
  out.status = answer.status;
  for (auto& [name, value] : answer.headers) out.headers.emplace(name, std::move(value));
  out.body = std::move(answer.body);
  return out;
}

std::string RawExchange(uint16_t port, const std::string& bytes, int timeout_ms, bool close_write) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  if (close_write) shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, timeout_ms) > 0) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

}  // namespace netsnap::testing
