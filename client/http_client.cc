#include "http_client.h"

#include <boost/json/parse.hpp>
#include <cctype>

namespace netsnap::cli {

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

Status ApiClient::Create(const std::string& server, std::string token,
                         std::chrono::milliseconds timeout, ApiClient* out) {
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
  out->limits_.timeout = timeout;
  return Status::OK();
}

ApiClient ApiClient::ForSocket(const std::string& path, std::string token,
                               std::chrono::milliseconds timeout) {
  ApiClient c;
  c.host_ = "localhost";
  c.port_ = "80";
  c.socket_ = path;
  c.token_ = std::move(token);
  c.limits_.timeout = timeout;
  return c;
}

HttpRequest ApiClient::MakeRequest(std::string_view method, const std::string& target,
                                   const std::string& body) const {
  HttpRequest req;
  req.method = std::string(method);
  req.host = host_;
  req.port = port_;
  req.unix_socket = socket_;
  req.target = target;
  req.headers = {
      {"User-Agent", "netsnap-cli"}, {"Accept", "application/json"}, {"Connection", "close"}};
  if (!token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + token_);
  // The server refuses a POST or PUT without it, body or not (see docs/api.md).
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.headers.emplace_back("Content-Type", "application/json");
  }
  req.body = body;
  return req;
}

Status ApiClient::Call(std::string_view method, const std::string& target, const std::string& body,
                       HttpResponse* out) const {
  HttpAnswer answer;
  NETSNAP_RETURN_IF_ERROR(HttpCall(MakeRequest(method, target, body), limits_, &answer));
  out->status = answer.status;
  out->content_type = answer.Header("content-type");
  out->next_cursor = answer.Header("next-cursor");
  out->body = std::move(answer.body);
  return Status::OK();
}

Status ApiClient::Stream(
    const std::string& target,
    const std::function<bool(const std::string&, const std::string&)>& on_event,
    HttpResponse* error, const std::string& last_event_id) const {
  // The body is a sequence of "field: value" lines; a blank line ends an event.
  std::string pending, type = "message", data;
  auto on_data = [&](std::string_view chunk) {
    pending.append(chunk);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.empty()) {
        if (!data.empty() && !on_event(type, data)) return false;
        type = "message";
        data.clear();
      } else if (line.rfind("event: ", 0) == 0) {
        type = line.substr(7);
      } else if (line.rfind("data: ", 0) == 0) {
        data += line.substr(6);
      }
    }
    return true;
  };
  HttpAnswer answer;
  HttpRequest req = MakeRequest("GET", target, "");
  if (!last_event_id.empty()) req.headers.emplace_back("Last-Event-ID", last_event_id);
  NETSNAP_RETURN_IF_ERROR(HttpStream(req, limits_, on_data, &answer));
  error->status = answer.status;
  error->content_type = answer.Header("content-type");
  error->body = std::move(answer.body);
  return Status::OK();
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
