// Times as the API and CLI accept and print them. All times are nanoseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netsnap/status.h"

namespace netsnap {

int64_t NowNs();

// Parses RFC 3339 ("2026-11-27T08:00:00Z", "2026-11-27T08:00:00.5+01:00"), Unix seconds with an
// optional fraction ("1764230400.25"), or a time relative to `now_ns` ("-15m", "-2h", "-30s",
// "-1d", "-1.5h", "now"). A time outside what int64 nanoseconds hold (1677-09-21 to 2262-04-11)
// is InvalidArgument "time '…' is out of range", never a wrapped value; *out_ns is written only
// on success.
Status ParseTime(std::string_view text, int64_t now_ns, int64_t* out_ns);

// Parses a duration such as "30s", "5m", "2h", "1d", "250ms" or a bare number of seconds. One
// beyond int64 nanoseconds (about 292 years) is InvalidArgument "duration '…' is out of range".
Status ParseDuration(std::string_view text, int64_t* out_ns);

// RFC 3339 in UTC with nanoseconds: "2026-11-27T08:00:00.000000000Z".
std::string FormatTime(int64_t ns);

}  // namespace netsnap
