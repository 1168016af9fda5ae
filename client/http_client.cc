#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

namespace netsnap::cli {

namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

Status Connect(net::io_context& ioc, const std::string& host, const std::string& port,
               tcp::socket* socket) {
  boost::system::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(host, port, ec);
  if (!ec) net::connect(*socket, endpoints, ec);
  if (ec)
    return Status::Unavailable("cannot connect to " + host + ":" + port + ": " + ec.message());
  return Status::OK();
}

http::request<http::string_body> MakeRequest(std::string_view method, const std::string& target,
                                             const std::string& host, const std::string& token,
                                             const std::string& body) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "netsnap-cli");
  req.set(http::field::accept, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();
  return req;
}

}  // namespace

boost::json::value HttpResponse::Json() const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

std::string HttpResponse::ErrorText() const {
  boost::json::value v = Json();
  if (v.is_object() && v.as_object().contains("error")) {
    const boost::json::value& e = v.at("error");
    if (e.is_object() && e.as_object().contains("message")) {
      std::string code = e.as_object().contains("code") && e.at("code").is_string()
                             ? std::string(e.at("code").as_string())
                             : "error";
      return code + ": " + std::string(e.at("message").as_string());
    }
  }
  return "HTTP " + std::to_string(status);
}

Status ApiClient::Create(const std::string& server, std::string token, ApiClient* out) {
  std::string_view s = server;
  if (s.substr(0, 7) == "http://") s.remove_prefix(7);
  if (s.substr(0, 8) == "https://") return Status::InvalidArgument("https is not supported");
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  std::string_view host = s, port = "8470";
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("bad server " + server);
    host = s.substr(1, close - 1);
    if (close + 1 < s.size() && s[close + 1] == ':') port = s.substr(close + 2);
  } else if (size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty() || port.empty()) return Status::InvalidArgument("bad server " + server);
  out->host_ = std::string(host);
  out->port_ = std::string(port);
  out->token_ = std::move(token);
  return Status::OK();
}

Status ApiClient::Call(std::string_view method, const std::string& target, const std::string& body,
                       HttpResponse* out) const {
  net::io_context ioc;
  tcp::socket socket(ioc);
  NETSNAP_RETURN_IF_ERROR(Connect(ioc, host_, port_, &socket));
  boost::system::error_code ec;
  http::write(socket, MakeRequest(method, target, host_, token_, body), ec);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(4ull << 30);
  if (!ec) http::read(socket, buffer, parser, ec);
  if (ec) return Status::Unavailable("no answer from the server: " + ec.message());
  out->status = parser.get().result_int();
  out->content_type = std::string(parser.get()[http::field::content_type]);
  out->body = std::move(parser.get().body());
  return Status::OK();
}

Status ApiClient::Stream(
    const std::string& target,
    const std::function<bool(const std::string&, const std::string&)>& on_event,
    HttpResponse* error) const {
  net::io_context ioc;
  tcp::socket socket(ioc);
  NETSNAP_RETURN_IF_ERROR(Connect(ioc, host_, port_, &socket));
  boost::system::error_code ec;
  http::write(socket, MakeRequest("GET", target, host_, token_, ""), ec);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  if (!ec) http::read_header(socket, buffer, parser, ec);
  if (ec) return Status::Unavailable("no answer from the server: " + ec.message());
  error->status = parser.get().result_int();
  if (error->status != 200) {
    http::read(socket, buffer, parser, ec);
    error->body = parser.get().body();
    return Status::OK();
  }
  // The body is a sequence of "field: value" lines; a blank line ends an event.
  std::string pending(static_cast<const char*>(buffer.data().data()), buffer.size());
  std::string type = "message", data;
  char chunk[8192];
  for (;;) {
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.empty()) {
        if (!data.empty() && !on_event(type, data)) return Status::OK();
        type = "message";
        data.clear();
      } else if (line.rfind("event: ", 0) == 0) {
        type = line.substr(7);
      } else if (line.rfind("data: ", 0) == 0) {
        data += line.substr(6);
      }
    }
    size_t n = socket.read_some(net::buffer(chunk), ec);
    if (ec) return Status::OK();  // the server closed the stream
    pending.append(chunk, n);
  }
}

std::string QueryEscape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace netsnap::cli
