// Bearer-token authentication (TCP clients; the Unix socket identifies its peers by their uid,
// see peer.h).
//
// The token file has one token a line: `TOKEN ROLE NAME` or `sha256:HEX ROLE NAME` (HEX: the
// SHA-256 of the token, 64 hex digits, so that the file does not hold the secret itself), ROLE
// being `viewer` or `operator`; blank lines and lines starting with '#' are ignored. The file must
// be owned by the daemon's user and closed to group and others. A presented token is hashed and
// compared with every entry's digest in constant time; tokens are never logged or echoed.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/request.h"
#include "netsnap/status.h"
#include "netsnap/token_hash.h"

namespace netsnap::api {

enum class AuthResult {
  kOk,
  kMissing,  // tokens are configured and the request carries none: 401
  kInvalid,  // the token matches none: 401
};

class Authenticator {
 public:
  // Reads `token_file`; an empty path means no tokens. Refused when the file is open to group or
  // others or owned by another user. Errors name the line, never the token.
  static Status Load(const std::string& token_file, std::unique_ptr<Authenticator>* out);
  // Builds from text in the token file format (tests).
  static Status Parse(std::string_view text, const std::string& origin,
                      std::unique_ptr<Authenticator>* out);

  bool has_tokens() const { return !entries_.empty(); }

  // Who sent a request whose Authorization header is `authorization` ("" when absent). Only
  // meaningful when has_tokens().
  AuthResult Authenticate(std::string_view authorization, Principal* out) const;

 private:
  struct Entry {
    Sha256Digest digest;
    Principal principal;
  };
  std::vector<Entry> entries_;
};

}  // namespace netsnap::api
