#include "netsnap/http_client.h"

// Beast's parser trips a false -Wmaybe-uninitialized in GCC 12 with sanitizers on.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace netsnap {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// One connection. Each step starts one asynchronous operation, under the stream's deadline, and
// runs the private io_context until it has completed.
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
  // host:port, an IPv6 address in brackets.
  std::string Where() const { return HostInBrackets() + ":" + request_.port; }
  std::string HostInBrackets() const {
    const bool v6 = request_.host.find(':') != std::string::npos;
    return v6 ? "[" + request_.host + "]" : request_.host;
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
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

Status Exchange::Connect() {
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

Status Exchange::Start(HttpAnswer* out) {
  NETSNAP_RETURN_IF_ERROR(Connect());
  http::request<http::string_body> req;
  req.version(11);
  req.method_string(request_.method);
  req.target(request_.target);
  req.set(http::field::host, request_.port == "80" ? HostInBrackets() : Where());
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

Status Exchange::ReadBody(HttpAnswer* out) {
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

Status Exchange::StreamBody(const std::function<bool(std::string_view)>& on_data) {
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

Status HttpCall(const HttpRequest& request, const HttpLimits& limits, HttpAnswer* out) {
  Exchange exchange(request, limits);
  NETSNAP_RETURN_IF_ERROR(exchange.Start(out));
  return exchange.ReadBody(out);
}

Status HttpStream(const HttpRequest& request, const HttpLimits& limits,
                  const std::function<bool(std::string_view)>& on_data, HttpAnswer* out) {
  Exchange exchange(request, limits);
  NETSNAP_RETURN_IF_ERROR(exchange.Start(out));
  if (out->status != 200) return exchange.ReadBody(out);
  return exchange.StreamBody(on_data);
}

}  // namespace netsnap
