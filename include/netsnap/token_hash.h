// Bearer-token material shared by the daemon (checking) and the CLI (`netsnap token new`):
// SHA-256 digests from OpenSSL's libcrypto and random tokens from the kernel (getrandom).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "netsnap/status.h"

namespace netsnap {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
// Lower-case hex of a digest (64 characters).
std::string DigestHex(const Sha256Digest& d);
// Parses 64 hex digits (either case); false on anything else.
bool ParseDigestHex(std::string_view hex, Sha256Digest* out);
// True when a and b are equal; the time taken does not depend on where they differ.
bool DigestEquals(const Sha256Digest& a, const Sha256Digest& b);
// A new token: 32 random bytes from getrandom as 64 hex digits.
Status NewToken(std::string* out);

}  // namespace netsnap
