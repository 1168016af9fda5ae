// Binary encoding of version headers and of the store's keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netsnap/status.h"
#include "netsnap/version.h"

namespace netsnap::store {

std::string EncodeHeader(const VersionHeader& h);
Status DecodeHeader(std::string_view in, VersionHeader* out);

// sid(4) + version(8), big-endian: sorts by source, then version.
std::string VersionKey(uint32_t sid, uint64_t version);
bool ParseVersionKey(std::string_view key, uint32_t* sid, uint64_t* version);
// sid(4) + time(8, sign-flipped so negative times sort first) + version(8).
std::string TimeKey(uint32_t sid, int64_t time_ns, uint64_t version);
bool ParseTimeKey(std::string_view key, uint32_t* sid, int64_t* time_ns, uint64_t* version);
std::string SidPrefix(uint32_t sid);
// Meta key "logfrom/" + sid(4) whose value, version(8), is the first version whose changes the
// key log holds (keylog.h): versions before it were written by a netsnap without the log.
std::string LogFromKey(uint32_t sid);
std::string LogFromValue(uint64_t version);
// Event ids are big-endian 8 bytes.
std::string EventKey(uint64_t id);

}  // namespace netsnap::store
