#include "api/browser_guard.h"

#include <cctype>

namespace netsnap::api {

namespace http = boost::beast::http;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "name:port" → "name"; "[v6]:port" → "[v6]"; a bare IPv6 address gets its brackets.
std::string StripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return "";
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "";
    host = host.substr(0, close + 1);
  } else if (host.find(':') != host.rfind(':')) {
    return "[" + std::string(host) + "]";
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return "";
    }
    host = host.substr(0, colon);
  }
  return Lower(host);
}

// The media type of a Content-Type value, without parameters, in lower case.
std::string MediaType(std::string_view value) {
  std::string_view type = value.substr(0, value.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return Lower(type);
}

}  // namespace

BrowserGuard::BrowserGuard(std::string_view listen_host, const std::vector<std::string>& extra) {
  hosts_ = {"localhost", "127.0.0.1", "[::1]"};
  if (!listen_host.empty()) hosts_.insert(StripPort(listen_host));
  for (const std::string& h : extra) hosts_.insert(StripPort(h));
  hosts_.erase("");
}

bool BrowserGuard::HostAllowed(std::string_view host) const {
  return hosts_.count(StripPort(host)) > 0;
}

bool BrowserGuard::OriginAllowed(std::string_view origin) const {
  std::string o = Lower(origin);
  std::string_view rest = o;
  if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  } else if (rest.substr(0, 8) == "https://") {
    rest.remove_prefix(8);
  } else {
    return false;  // "null", other schemes
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return false;
  return HostAllowed(rest);
}

Refusal BrowserGuard::Check(const http::request<http::string_body>& req) const {
  auto host = req.find(http::field::host);
  if (host == req.end() || !HostAllowed(host->value())) {
    return {421, "misdirected_request",
            "the Host header must name this server (localhost, its address or a name in "
            "[daemon] allowed_hosts)"};
  }
  if (auto origin = req.find(http::field::origin);
      origin != req.end() && !OriginAllowed(origin->value())) {
    return {403, "forbidden_origin",
            "requests from web pages of another origin are refused (Origin: an allowed host, "
            "over http or https)"};
  }
  if (req.method() == http::verb::post || req.method() == http::verb::put) {
    auto type = req.find(http::field::content_type);
    if (type == req.end() || MediaType(type->value()) != "application/json") {
      return {415, "unsupported_media_type", "POST and PUT need Content-Type: application/json"};
    }
  }
  return {};
}

}  // namespace netsnap::api
