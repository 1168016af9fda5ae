#include "api/listen_address.h"

#include <charconv>
#include <string>

namespace netsnap::api {

Status ParseListenAddress(std::string_view text, boost::asio::ip::tcp::endpoint* out) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("listen address '" + std::string(text) + "': " + why);
  };
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected [ADDRESS]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected ADDRESS:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  uint16_t port_number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()) {
    return bad("the port must be a number from 0 to 65535");
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code aec;
  auto address = boost::asio::ip::make_address(std::string(host), aec);
  if (aec) return bad("not a numeric IPv4 or IPv6 address");
  *out = boost::asio::ip::tcp::endpoint(address, port_number);
  return Status::OK();
}

}  // namespace netsnap::api
