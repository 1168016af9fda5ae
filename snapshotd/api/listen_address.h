// Parsing the API's listen address.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string_view>

#include "netsnap/status.h"

namespace netsnap::api {

// "127.0.0.1:8470", "[::1]:8470", "localhost:8470", "0.0.0.0:0". Only numeric addresses and
// "localhost" (127.0.0.1): a daemon must not depend on name resolution to start.
Status ParseListenAddress(std::string_view text, boost::asio::ip::tcp::endpoint* out);

}  // namespace netsnap::api
