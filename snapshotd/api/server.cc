#include "api/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "api/auth.h"
#include "api/connections.h"
#include "api/dispatcher.h"
#include "api/errors.h"
#include "api/listen_address.h"
#include "api/peer.h"
#include "api/session.h"
#include "api/socket_file.h"
#include "api/worker_pool.h"
#include "core/daemon.h"

namespace netsnap {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using local = net::local::stream_protocol;

namespace {

bool IsLoopback(const net::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

std::string BusyReply(std::string_view code, std::string_view message) {
  std::string body = api::ErrorBody(code, message);
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
         "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// "127.0.0.1", "[::1]": the listen address as a Host header names it.
std::string HostOf(const tcp::endpoint& e) {
  std::string a = e.address().to_string();
  return e.address().is_v6() ? "[" + a + "]" : a;
}

}  // namespace

struct ApiServer::Impl {
  // Members are destroyed in reverse order: the I/O context (and with it every session) goes
  // before the registry, dispatcher and context that sessions use.
  api::ApiContext ctx;
  std::string token_file;
  std::optional<gid_t> socket_group;
  std::unique_ptr<api::Dispatcher> dispatcher;
  api::Connections connections;
  std::atomic<size_t> followers{0};
  api::SessionEnv env;
  std::string server_full_reply;  // sent to connections beyond the caps
  std::string client_full_reply;
  // [daemon] metrics_listen: its own routes (metrics and health), no tokens, and its own
  // connection caps, so that scrapers never take the API's connections.
  std::unique_ptr<api::Dispatcher> metrics_dispatcher;
  api::Connections metrics_connections;
  api::SessionEnv metrics_env;
  net::io_context ioc;
  // After the I/O context: queued jobs hold sessions, which must go before the context does.
  api::WorkerPool workers;
  tcp::acceptor acceptor;
  std::optional<local::acceptor> socket_acceptor;
  std::optional<tcp::acceptor> metrics_acceptor;
  std::string socket_path;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  uint16_t metrics_port = 0;
  bool stopped = false;

  Impl(const api::ApiContext& c, const ApiOptions& opts)
      : ctx(c),
        token_file(opts.token_file),
        connections(opts.max_connections, opts.max_connections_per_client),
        metrics_connections(opts.max_connections, opts.max_connections_per_client),
        ioc(opts.threads),
        workers(static_cast<size_t>(opts.workers), opts.worker_queue),
        acceptor(net::make_strand(ioc)) {}

  // Accepts connections on `a` for sessions that share `e`.
  template <typename Acceptor>
  void Accept(Acceptor& a, const api::SessionEnv* e) {
    using Socket = typename Acceptor::protocol_type::socket;
    a.async_accept(net::make_strand(ioc), [this, &a, e](boost::system::error_code ec, Socket s) {
      if (!a.is_open()) return;
      if (!ec) Admit(std::move(s), e);
      Accept(a, e);
    });
  }

  api::Peer PeerOf(tcp::socket& s) {
    api::Peer p;
    boost::system::error_code ec;
    auto remote = s.remote_endpoint(ec);
    p.channel = api::Peer::Channel::kTcp;
    p.loopback = !ec && IsLoopback(remote.address());
    p.client = ec ? "unknown" : remote.address().to_string();
    return p;
  }

  api::Peer PeerOf(local::socket& s) {
    api::Peer p;
    p.channel = api::Peer::Channel::kSocket;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      // Unknown peers get no rights: a name that no uid has, and the viewer role.
      p.client = "unknown";
      p.principal.name = "unknown peer";
      return p;
    }
    p.client = "uid " + std::to_string(cred.uid);
    p.principal = api::SocketPrincipal(cred.uid, cred.gid, socket_group);
    return p;
  }

  template <typename Socket>
  void Admit(Socket socket, const api::SessionEnv* e) {
    using Session = api::Session<typename Socket::protocol_type>;
    api::Peer peer = PeerOf(socket);
    std::string client = peer.client;
    auto session = std::make_shared<Session>(std::move(socket), std::move(peer), e);
    switch (e->connections->Admit(session, client)) {
      case api::Connections::Admission::kAdmitted:
        return session->Run();
      case api::Connections::Admission::kServerFull:
        return session->Refuse(server_full_reply);
      case api::Connections::Admission::kClientFull:
        return session->Refuse(client_full_reply);
    }
  }

  static Status ListenTcp(tcp::acceptor& a, const tcp::endpoint& endpoint,
                          const std::string& listen, uint16_t* bound_port) {
    boost::system::error_code ec;
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return Status::IOError("api: cannot listen on " + listen + ": " + ec.message());
    *bound_port = a.local_endpoint().port();
    return Status::OK();
  }

  // The listener of [daemon] metrics_listen: GET /metrics and /v1/health to every client,
  // without a token; the browser guard against DNS rebinding as on the API.
  Status ListenMetrics(const ApiOptions& opts) {
    tcp::endpoint endpoint;
    NETSNAP_RETURN_IF_ERROR(api::ParseListenAddress(opts.metrics_listen, &endpoint));
    std::unique_ptr<api::Authenticator> none;
    NETSNAP_RETURN_IF_ERROR(api::Authenticator::Load("", &none));  // every client a viewer
    metrics_dispatcher = std::make_unique<api::Dispatcher>(
        &ctx, std::move(none), api::BrowserGuard(HostOf(endpoint), opts.allowed_hosts),
        api::AccessRules{}, api::AddMonitoringRoutes);
    metrics_env = env;
    metrics_env.dispatcher = metrics_dispatcher.get();
    metrics_env.connections = &metrics_connections;
    metrics_acceptor.emplace(net::make_strand(ioc));
    NETSNAP_RETURN_IF_ERROR(
        ListenTcp(*metrics_acceptor, endpoint, opts.metrics_listen, &metrics_port));
    spdlog::info("api: metrics and health on {}:{} (no tokens)", HostOf(endpoint), metrics_port);
    return Status::OK();
  }

  Status ListenSocket(const std::string& path) {
    NETSNAP_RETURN_IF_ERROR(api::PrepareSocketPath(path));
    socket_acceptor.emplace(net::make_strand(ioc));
    boost::system::error_code ec;
    socket_acceptor->open(local(), ec);
    if (!ec) socket_acceptor->bind(local::endpoint(path), ec);
    if (ec) return Status::IOError("api: cannot bind " + path + ": " + ec.message());
    socket_path = path;  // from here on, Stop removes it
    NETSNAP_RETURN_IF_ERROR(api::SecureSocketFile(path, socket_group));
    socket_acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) return Status::IOError("api: cannot listen on " + path + ": " + ec.message());
    return Status::OK();
  }

  ~Impl() {
    if (!socket_path.empty()) ::unlink(socket_path.c_str());
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

uint16_t ApiServer::port() const { return impl_->port; }

void ApiServer::Post(std::function<void()> fn) { net::post(impl_->ioc, std::move(fn)); }

Status ApiServer::Start(Daemon* daemon, const ApiOptions& opts, std::unique_ptr<ApiServer>* out) {
  api::ApiContext ctx;
  ctx.store = daemon->store();
  ctx.events = daemon->events();
  ctx.metrics = daemon->metrics();
  for (const auto& r : daemon->recorders()) ctx.sources.push_back(r.get());
  ctx.rollbacks = opts.rollbacks;
  ctx.detection = opts.detection;
  ctx.reload = daemon->reload_state();
  return Start(ctx, opts, out);
}

Status ApiServer::Start(const api::ApiContext& ctx, const ApiOptions& opts,
                        std::unique_ptr<ApiServer>* out) {
  if (!ctx.store || !ctx.events || !ctx.metrics) {
    return Status::InvalidArgument("api: the store, event bus and metrics are required");
  }
  if (opts.threads < 1 || opts.threads > 64) {
    return Status::InvalidArgument("api: threads must be between 1 and 64");
  }
  if (opts.workers < 1 || opts.workers > 64 || opts.worker_queue < 1) {
    return Status::InvalidArgument(
        "api: workers must be between 1 and 64 and the worker queue at least 1");
  }
  if (opts.max_connections_per_client < 1 || opts.max_followers < 1) {
    return Status::InvalidArgument("api: the connection and follower caps must be at least 1");
  }
  tcp::endpoint endpoint;
  NETSNAP_RETURN_IF_ERROR(api::ParseListenAddress(opts.listen, &endpoint));
  auto impl = std::make_unique<Impl>(ctx, opts);
  if (!impl->ctx.rollbacks) impl->ctx.rollbacks = opts.rollbacks;
  if (!impl->ctx.detection) impl->ctx.detection = opts.detection;
  std::unique_ptr<api::Authenticator> auth;
  NETSNAP_RETURN_IF_ERROR(api::Authenticator::Load(opts.token_file, &auth));
  bool has_tokens = auth->has_tokens();
  if (!has_tokens && !endpoint.address().is_loopback()) {
    return Status::Refused("api: refusing to listen on " + opts.listen +
                           " without a token file; only loopback addresses may go without one");
  }
  if (!opts.socket_group.empty()) {
    gid_t gid = 0;
    NETSNAP_RETURN_IF_ERROR(api::LookUpGroup(opts.socket_group, &gid));
    impl->socket_group = gid;
  }
  api::AccessRules rules;
  rules.loopback_operator = opts.allow_loopback_operator;
  rules.socket_path = opts.socket;
  impl->dispatcher = std::make_unique<api::Dispatcher>(
      &impl->ctx, std::move(auth), api::BrowserGuard(HostOf(endpoint), opts.allowed_hosts),
      std::move(rules));
  impl->env.dispatcher = impl->dispatcher.get();
  impl->env.workers = &impl->workers;
  impl->env.events = impl->ctx.events;
  impl->env.connections = &impl->connections;
  impl->env.followers = &impl->followers;
  impl->env.max_followers = opts.max_followers;
  impl->env.max_body_bytes = opts.max_body_bytes;
  impl->env.max_header_bytes = opts.max_header_bytes;
  impl->env.read_timeout = std::chrono::seconds(opts.read_timeout_s);
  impl->server_full_reply =
      BusyReply("too_many_connections", "the server is at its connection cap");
  impl->client_full_reply = BusyReply(
      "too_many_connections",
      "this client has " + std::to_string(opts.max_connections_per_client) +
          " connections open ([daemon] max_connections_per_client); close some and retry");

  NETSNAP_RETURN_IF_ERROR(Impl::ListenTcp(impl->acceptor, endpoint, opts.listen, &impl->port));
  if (!opts.socket.empty()) NETSNAP_RETURN_IF_ERROR(impl->ListenSocket(opts.socket));
  if (!opts.metrics_listen.empty()) NETSNAP_RETURN_IF_ERROR(impl->ListenMetrics(opts));

  impl->Accept(impl->acceptor, &impl->env);
  if (impl->socket_acceptor) impl->Accept(*impl->socket_acceptor, &impl->env);
  if (impl->metrics_acceptor) impl->Accept(*impl->metrics_acceptor, &impl->metrics_env);
  for (int i = 0; i < opts.threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  spdlog::info("api: listening on {}:{} ({} I/O threads, {} workers, {}){}", HostOf(endpoint),
               impl->port, opts.threads, opts.workers,
               has_tokens ? "bearer tokens" : "no tokens: loopback only, TCP clients are viewers",
               opts.socket.empty() ? "" : " and on " + opts.socket);
  if (opts.allow_loopback_operator && !has_tokens) {
    spdlog::warn(
        "api: allow_loopback_operator is set: every local user and every web page that reaches "
        "{}:{} may roll back this host's network configuration; use it in labs only",
        HostOf(endpoint), impl->port);
  }
  out->reset(new ApiServer(std::move(impl)));
  return Status::OK();
}

Status ApiServer::ReloadTokens() {
  std::unique_ptr<api::Authenticator> auth;
  NETSNAP_RETURN_IF_ERROR(api::Authenticator::Load(impl_->token_file, &auth));
  impl_->dispatcher->SetAuthenticator(std::move(auth));
  spdlog::info("api: tokens reloaded from {}", impl_->token_file);
  return Status::OK();
}

void ApiServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  // Running handlers finish (their answers are posted to the stopped context and dropped with
  // it); queued ones are dropped.
  impl_->workers.Stop();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  if (impl_->socket_acceptor) impl_->socket_acceptor->close(ec);
  if (impl_->metrics_acceptor) impl_->metrics_acceptor->close(ec);
  // No I/O thread runs now. Sessions still alive (their sockets close when the I/O context is
  // destroyed) must stop taking events before then: their feeds post to it.
  impl_->connections.DetachFeeds();
  impl_->metrics_connections.DetachFeeds();
}

}  // namespace netsnap
