// Fuzzing through a real socket, bounded in count (NETSNAP_FUZZ_REQUESTS, default 3,000 per
// test) and reproducible (fixed seeds): random mutations of valid requests, and of the JSON
// bodies of every POST endpoint. The server must never answer 500 and must keep serving.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "api_harness.h"

namespace netsnap::testing {
namespace {

int Requests() {
  const char* s = std::getenv("NETSNAP_FUZZ_REQUESTS");
  return s ? std::atoi(s) : 3000;
}

int StatusOf(const std::string& raw) {
  if (raw.size() < 12 || raw.rfind("HTTP/1.", 0) != 0) return 0;
  return std::atoi(raw.substr(9, 3).c_str());
}

std::string Mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 6), byte(0, 255);
  int rounds = 1 + static_cast<int>(rng() % 4);
  static const char* kTokens[] = {"\r\n", "%", "%00", "{",  "}", "[",    "\"", ":",     ",",   "/",
                                  "?",    "&", "=",   "..", " ", "\xff", "-1", "1e999", "null"};
  for (int i = 0; i < rounds && !s.empty(); ++i) {
    size_t pos = rng() % s.size();
    switch (op(rng)) {
      case 0:
        s[pos] = static_cast<char>(byte(rng));
        break;
      case 1:
        s.insert(pos, 1, static_cast<char>(byte(rng)));
        break;
      case 2:
        s.erase(pos, 1 + rng() % 8);
        break;
      case 3:
        s.insert(pos, kTokens[rng() % std::size(kTokens)]);
        break;
      case 4:
        s = s.substr(0, pos);
        break;
      case 5:
        s.insert(pos, s.substr(pos, rng() % 32));
        break;
      default:
        s.insert(pos, std::string(rng() % 64, s[pos]));
        break;
    }
  }
  return s;
}

std::string Post(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: "
         "application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

ApiOptions FuzzOptions() {
  ApiOptions o = LabOptions();
  o.read_timeout_s = 1;
  o.max_body_bytes = 64 << 10;
  return o;
}

TEST(ApiFuzz, RequestParsing) {
  ApiHarness h(FuzzOptions());
  const std::vector<std::string> seeds = {
      "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET /v1/sources/main/versions?limit=3&order=asc&since=-1h HTTP/1.1\r\nHost: "
      "localhost\r\nConnection: close\r\n\r\n",
      "GET /v1/sources/main/at/2026-01-01T00:00:00.5%2B01:00?format=text HTTP/1.1\r\nHost: "
      "localhost\r\nConnection: close\r\n\r\n",
      "GET /v1/sources/main/diff?from=1&to=live HTTP/1.1\r\nHost: localhost\r\nConnection: "
      "close\r\n\r\n",
      "GET /v1/events?type=audit&limit=5 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      Post("/v1/sources/main/rollbacks", R"({"to":"1","dry_run":true})"),
      "POST /v1/sources/main/snapshots HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
      "application/json\r\nTransfer-Encoding: chunked\r\nConnection: "
      "close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
  };
  std::mt19937 rng(12345);
  int answered = 0;
  for (int sent = 0; sent < Requests(); ++sent) {
    std::string req = Mutate(seeds[rng() % seeds.size()], rng);
    // Half-closed: a request cut short ends at once instead of at the read timeout.
    std::string raw = RawExchange(h.port(), req, 2000, /*close_write=*/true);
    int status = StatusOf(raw);
    if (status) ++answered;
    ASSERT_TRUE(status == 0 || (status < 500 || status == 501 || status == 503))
        << "request: " << req << "\nanswer: " << raw;
  }
  EXPECT_GT(answered * 2, Requests()) << answered << " answered";
  EXPECT_EQ(Http(h.port(), "GET", "/v1/health").status, 200);
}

TEST(ApiFuzz, JsonBodies) {
  ApiHarness h(FuzzOptions());
  h.Capture(TestRoutes(20, "192.0.2.3"));
  struct Seed {
    std::string target, body;
  };
  const std::vector<Seed> seeds = {
      {"/v1/sources/main/rollbacks",
       R"({"to":1,"dry_run":true,"scope":{"tables":["main",100],"prefixes":["10.0.0.0/8"],"kinds":["route"],"domains":["a.example"],"files":["/etc/resolv.conf"]},"confirm_within_s":30,"reason":"r","force":false})"},
      {"/v1/sources/main/rollbacks", R"({"to":"-1h","dry_run":true})"},
      {"/v1/sources/main/snapshots", R"({"note":"fuzz"})"},
      {"/v1/rollbacks/rb-1/confirm", R"({})"},
      {"/v1/rollbacks/rb-1/cancel", ""},
  };
  std::mt19937 rng(777);
  for (int sent = 0; sent < Requests(); ++sent) {
    const Seed& seed = seeds[rng() % seeds.size()];
    std::string body = Mutate(seed.body.empty() ? "{}" : seed.body, rng);
    HttpReply r = Http(h.port(), "POST", seed.target, body);
    ASSERT_TRUE(r.status == 200 || r.status == 201 || r.status == 400 || r.status == 404 ||
                r.status == 409 || r.status == 501)
        << seed.target << " " << body << " -> " << r.status << " " << r.body;
  }
  EXPECT_EQ(Http(h.port(), "GET", "/v1/health").status, 200);
}

}  // namespace
}  // namespace netsnap::testing
