// Bearer-token authentication.
//
// The token file has one token a line: `TOKEN ROLE NAME`, ROLE being `viewer` or `operator`;
// blank lines and lines starting with '#' are ignored. Tokens are compared in constant time and
// never logged or echoed. With no token file there are no tokens: the server only listens on
// loopback and every loopback client is an operator named "loopback".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/request.h"
#include "netsnap/status.h"

namespace netsnap::api {

enum class AuthResult {
  kOk,
  kMissing,  // tokens are configured and the request carries none: 401
  kInvalid,  // the token matches none: 401
};

class Authenticator {
 public:
  // Reads `token_file`; an empty path means no tokens. Errors name the line, never the token.
  static Status Load(const std::string& token_file, std::unique_ptr<Authenticator>* out);
  // Builds from text in the token file format (tests).
  static Status Parse(std::string_view text, const std::string& origin,
                      std::unique_ptr<Authenticator>* out);

  bool has_tokens() const { return !entries_.empty(); }

  // Who sent a request whose Authorization header is `authorization` ("" when absent), from a
  // peer that is (or is not) on loopback.
  AuthResult Authenticate(std::string_view authorization, bool peer_is_loopback,
                          Principal* out) const;

 private:
  struct Entry {
    std::string token;
    Principal principal;
  };
  std::vector<Entry> entries_;
};

// True when a and b are equal; the time taken depends only on the length of `presented`.
bool ConstantTimeEquals(std::string_view expected, std::string_view presented);

}  // namespace netsnap::api
