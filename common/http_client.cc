#include "common/http_client.h"

// Beast's parser trips a false -Wmaybe-uninitialized in GCC 12 with sanitizers on (clang has
// no such warning).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace netsnap {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using local = net::local::stream_protocol;

// One connection over `Protocol` (TCP or a Unix socket). Each step starts one asynchronous
// operation, under the stream's deadline, and runs the private io_context until it has completed.
template <typename Protocol>
class Exchange {
 public:
  Exchange(const HttpRequest& request, const HttpLimits& limits)
      : request_(request), limits_(limits), stream_(ioc_) {}

  // Resolves, connects, sends the request and reads the answer's header into *out.
  Status Start(HttpAnswer* out);
  // Reads the rest of the body into out->body.
  Status ReadBody(HttpAnswer* out);
  // Hands the body to on_data as it arrives, without a deadline.
  Status StreamBody(const std::function<bool(std::string_view)>& on_data);

 private:
  Status Connect();
  // Runs the io_context until the started operation has completed.
  void Run() {
    ioc_.restart();
    ioc_.run();
  }
  // host:port, an IPv6 address in brackets; or the socket's path.
  std::string Where() const {
    if (!request_.unix_socket.empty()) return request_.unix_socket;
    return HostInBrackets() + ":" + request_.port;
  }
  std::string HostInBrackets() const {
    if (request_.host.empty()) return "localhost";
    const bool v6 = request_.host.find(':') != std::string::npos;
    return v6 ? "[" + request_.host + "]" : request_.host;
  }
  // The Host header: the port only when it is not HTTP's and the connection is TCP.
  std::string HostHeader() const {
    bool bare = request_.port == "80" || !request_.unix_socket.empty();
    return bare ? HostInBrackets() : HostInBrackets() + ":" + request_.port;
  }
  Status NoAnswer(const beast::error_code& ec) const {
    return Status::Unavailable("no answer from " + Where() + ": " + Reason(ec));
  }
  std::string Reason(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) {
      return "timed out after " + std::to_string(limits_.timeout.count()) + " ms";
    }
    return ec.message();
  }

  const HttpRequest& request_;
  const HttpLimits& limits_;
  net::io_context ioc_;
  beast::basic_stream<Protocol> stream_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

template <>
Status Exchange<local>::Connect() {
  beast::error_code ec;
  stream_.expires_after(limits_.timeout);
  stream_.async_connect(local::endpoint(request_.unix_socket),
                        [&](const beast::error_code& e) { ec = e; });
  Run();
  if (ec) return Status::Unavailable("cannot connect to " + Where() + ": " + Reason(ec));
  return Status::OK();
}

template <>
Status Exchange<tcp>::Connect() {
  tcp::resolver resolver(ioc_);
  beast::error_code ec;
  tcp::resolver::results_type endpoints;
  bool resolved = false;
  resolver.async_resolve(request_.host, request_.port,
                         [&](const beast::error_code& e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                           resolved = true;
                         });
  ioc_.run_for(limits_.timeout);
  if (!resolved) {
    resolver.cancel();
    Run();
    return Status::Unavailable("cannot resolve " + request_.host + ": " +
                               Reason(beast::error::timeout));
  }
  if (ec) return Status::Unavailable("cannot resolve " + request_.host + ": " + ec.message());
  stream_.expires_after(limits_.timeout);
  stream_.async_connect(endpoints,
                        [&](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
  Run();
  if (ec) return Status::Unavailable("cannot connect to " + Where() + ": " + Reason(ec));
  return Status::OK();
}

template <typename Protocol>
Status Exchange<Protocol>::Start(HttpAnswer* out) {
  NETSNAP_RETURN_IF_ERROR(Connect());
  http::request<http::string_body> req;
  req.version(11);
  req.method_string(request_.method);
  req.target(request_.target);
  req.set(http::field::host, HostHeader());
  for (const auto& [name, value] : request_.headers) req.set(name, value);
  req.body() = request_.body;
  req.prepare_payload();

  beast::error_code ec;
  stream_.expires_after(limits_.timeout);
  http::async_write(stream_, req, [&](const beast::error_code& e, size_t) { ec = e; });
  Run();
  if (ec) return Status::Unavailable("cannot send to " + Where() + ": " + Reason(ec));

  parser_.header_limit(static_cast<uint32_t>(limits_.header_bytes));
  parser_.body_limit(limits_.body_bytes);
  stream_.expires_after(limits_.timeout);
  http::async_read_header(stream_, buffer_, parser_,
                          [&](const beast::error_code& e, size_t) { ec = e; });
  Run();
  if (ec) return NoAnswer(ec);
  const auto& header = parser_.get();
  out->status = static_cast<int>(header.result_int());
  out->headers.clear();
  for (const auto& field : header) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out->headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return Status::OK();
}

template <typename Protocol>
Status Exchange<Protocol>::ReadBody(HttpAnswer* out) {
  if (!parser_.is_done()) {
    beast::error_code ec;
    stream_.expires_after(limits_.timeout);
    http::async_read(stream_, buffer_, parser_,
                     [&](const beast::error_code& e, size_t) { ec = e; });
    Run();
    if (ec) return NoAnswer(ec);
  }
  out->body = std::move(parser_.get().body());
  return Status::OK();
}

template <typename Protocol>
Status Exchange<Protocol>::StreamBody(const std::function<bool(std::string_view)>& on_data) {
  parser_.body_limit(boost::none);
  stream_.expires_never();
  std::string& body = parser_.get().body();
  for (;;) {
    if (!body.empty()) {
      if (!on_data(body)) return Status::OK();
      body.clear();
    }
    if (parser_.is_done()) return Status::OK();
    beast::error_code ec;
    http::async_read_some(stream_, buffer_, parser_,
                          [&](const beast::error_code& e, size_t) { ec = e; });
    Run();
    if (ec) {
      if (!body.empty()) on_data(body);
      return Status::OK();  // the server closed the stream
    }
  }
}

}  // namespace

std::string HttpAnswer::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

namespace {

template <typename Protocol>
Status Call(const HttpRequest& request, const HttpLimits& limits, HttpAnswer* out) {
  Exchange<Protocol> exchange(request, limits);
  NETSNAP_RETURN_IF_ERROR(exchange.Start(out));
  return exchange.ReadBody(out);
}

template <typename Protocol>
Status Stream(const HttpRequest& request, const HttpLimits& limits,
              const std::function<bool(std::string_view)>& on_data, HttpAnswer* out) {
  Exchange<Protocol> exchange(request, limits);
  NETSNAP_RETURN_IF_ERROR(exchange.Start(out));
  if (out->status != 200) return exchange.ReadBody(out);
  return exchange.StreamBody(on_data);
}

}  // namespace

Status HttpCall(const HttpRequest& request, const HttpLimits& limits, HttpAnswer* out) {
  if (!request.unix_socket.empty()) return Call<local>(request, limits, out);
  return Call<tcp>(request, limits, out);
}

Status HttpStream(const HttpRequest& request, const HttpLimits& limits,
                  const std::function<bool(std::string_view)>& on_data, HttpAnswer* out) {
  if (!request.unix_socket.empty()) return Stream<local>(request, limits, on_data, out);
  return Stream<tcp>(request, limits, on_data, out);
}

}  // namespace netsnap
