// A small HTTP server for webhook tests: answers each request with the next status of a list.
#pragma once

// Beast's parser trips a false -Wmaybe-uninitialized in GCC 12 with sanitizers on.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace netsnap::testing {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// Answers each request with the next status of `codes` (the last one repeats); with
// `stall`, accepts connections and never answers. `observe`, when given, sees each request
// on the server's thread before it is answered.
class TestServer {
 public:
  using Observer = std::function<void(const http::request<http::string_body>&)>;
  TestServer(std::vector<unsigned> codes, bool stall = false, Observer observe = nullptr)
      : codes_(std::move(codes)),
        stall_(stall),
        observe_(std::move(observe)),
        acceptor_(ioc_, {tcp::v4(), 0}) {
    acceptor_.listen();
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestServer() {
    stop_ = true;
    boost::system::error_code ec;
    // Wake accept() with a connection of our own.
    tcp::socket s(ioc_);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port()}, ec);
    thread_.join();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> bodies() {
    std::lock_guard l(mu_);
    return bodies_;
  }
  int requests() const { return requests_; }
  int accepted() const { return accepted_; }

 private:
  void Serve() {
    std::vector<tcp::socket> held;
    while (!stop_) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) break;
      ++accepted_;
      if (stall_) {
        held.push_back(std::move(sock));
        continue;
      }
      beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(sock, buf, req, ec);
      if (ec) continue;
      if (observe_) observe_(req);
      unsigned code = codes_[std::min<size_t>(requests_, codes_.size() - 1)];
      ++requests_;
      if (code / 100 == 2) {
        std::lock_guard l(mu_);
        bodies_.push_back(req.body());
      }
      http::response<http::string_body> res{static_cast<http::status>(code), 11};
      res.body() = "{}";
      res.prepare_payload();
      http::write(sock, res, ec);
    }
  }

  std::vector<unsigned> codes_;
  bool stall_;
  Observer observe_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

}  // namespace netsnap::testing
