// A small HTTP/1.1 client for end-to-end tests: one connection per request to a daemon on a
// loopback port, and a reader for the server-sent event stream. Written on plain sockets so a
// test does not share code with the server it checks.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace netsnap::e2e {

struct HttpReply {
  int status = 0;                              // 0 when there was no answer
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // The body as JSON (null when it is not JSON).
  boost::json::value Json() const;
  // The error code of an error body ({"error":{"code":..}}), or "".
  std::string ErrorCode() const;
};

// Sends one request with `Connection: close`, `Host: 127.0.0.1:PORT`, the bearer token (when
// not empty) and, with a body or for POST and PUT, `Content-Type: application/json`.
HttpReply HttpRequest(uint16_t port, const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body = "",
                      const std::map<std::string, std::string>& headers = {});

// A GET that stays open (`/v1/events?follow=1`); the raw text read so far grows as lines come.
class HttpStream {
 public:
  HttpStream(uint16_t port, const std::string& target, const std::string& token,
             const std::map<std::string, std::string>& headers = {});
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;
  // Reads until pred(text so far) holds or `limit` passes; false on timeout or end of stream.
  bool ReadUntil(const std::function<bool(const std::string&)>& pred,
                 std::chrono::milliseconds limit);
  const std::string& text() const { return text_; }

 private:
  int fd_ = -1;
  std::string text_;
};

}  // namespace netsnap::e2e
