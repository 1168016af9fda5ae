#include "api/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <thread>
#include <vector>

#include "api/auth.h"
#include "api/connections.h"
#include "api/dispatcher.h"
#include "api/errors.h"
#include "api/listen_address.h"
#include "api/session.h"
#include "core/daemon.h"

namespace netsnap {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct ApiServer::Impl {
  // Members are destroyed in reverse order: the I/O context (and with it every session) goes
  // before the registry, dispatcher and context that sessions use.
  api::ApiContext ctx;
  size_t max_connections;
  std::unique_ptr<api::Authenticator> auth;
  std::unique_ptr<api::Dispatcher> dispatcher;
  api::Connections connections;
  api::SessionEnv env;
  std::string busy_reply;  // sent to connections beyond the cap
  net::io_context ioc;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool stopped = false;

  Impl(const api::ApiContext& c, const ApiOptions& opts)
      : ctx(c),
        max_connections(opts.max_connections),
        connections(opts.max_connections),
        ioc(opts.threads),
        acceptor(net::make_strand(ioc)) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc),
                          [this](boost::system::error_code ec, tcp::socket socket) {
                            if (!acceptor.is_open()) return;
                            if (!ec) Admit(std::move(socket));
                            Accept();
                          });
  }

  void Admit(tcp::socket socket) {
    if (connections.size() >= max_connections) {
      // A short answer on a fresh socket fits its send buffer: this write does not block.
      boost::system::error_code ec;
      net::write(socket, net::buffer(busy_reply), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    auto session = std::make_shared<api::Session>(std::move(socket), &env);
    if (connections.Admit(session)) session->Run();
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
  tcp::endpoint endpoint;
  NETSNAP_RETURN_IF_ERROR(api::ParseListenAddress(opts.listen, &endpoint));
  auto impl = std::make_unique<Impl>(ctx, opts);
  if (!impl->ctx.rollbacks) impl->ctx.rollbacks = opts.rollbacks;
  if (!impl->ctx.detection) impl->ctx.detection = opts.detection;
  NETSNAP_RETURN_IF_ERROR(api::Authenticator::Load(opts.token_file, &impl->auth));
  if (!impl->auth->has_tokens() && !endpoint.address().is_loopback()) {
    return Status::Refused("api: refusing to listen on " + opts.listen +
                           " without a token file; only loopback addresses may go without one");
  }
  impl->dispatcher = std::make_unique<api::Dispatcher>(&impl->ctx, impl->auth.get());
  impl->env.dispatcher = impl->dispatcher.get();
  impl->env.events = impl->ctx.events;
  impl->env.connections = &impl->connections;
  impl->env.max_body_bytes = opts.max_body_bytes;
  impl->env.max_header_bytes = opts.max_header_bytes;
  impl->env.read_timeout = std::chrono::seconds(opts.read_timeout_s);
  std::string body = api::ErrorBody("too_many_connections", "the server is at its connection cap");
  impl->busy_reply =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;

  boost::system::error_code ec;
  tcp::acceptor& a = impl->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("api: cannot listen on " + opts.listen + ": " + ec.message());
  impl->port = a.local_endpoint().port();

  impl->Accept();
  for (int i = 0; i < opts.threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  spdlog::info("api: listening on {}:{} ({} threads, {})", endpoint.address().to_string(),
               impl->port, opts.threads,
               impl->auth->has_tokens() ? "bearer tokens" : "no tokens, loopback only");
  out->reset(new ApiServer(std::move(impl)));
  return Status::OK();
}

void ApiServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  // No I/O thread runs now. Sessions still alive (their sockets close when the I/O context is
  // destroyed) must stop taking events before then: their feeds post to it.
  impl_->connections.DetachFeeds();
}

}  // namespace netsnap
