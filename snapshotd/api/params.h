// Request parameters several handlers share: times, limits, formats, and points in a source's
// history ("12", "2026-11-27T08:00:00Z", "-15m", "latest", "live").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/context.h"
#include "api/request.h"
#include "netsnap/status.h"
#include "netsnap/version.h"

namespace netsnap::api {

// OK when `name` is a configured source or has history in the store; NotFound otherwise.
Status CheckSource(const ApiContext& ctx, const std::string& name);

// Reads the time parameter `name` (any form netsnap::ParseTime takes, relative to the request
// time). Leaves *out alone when the parameter is absent.
Status TimeParam(const ApiRequest& req, std::string_view name, int64_t* out);
// Reads `limit`: default `def`, values above `max` are lowered to `max`, 0 or junk is an error.
Status LimitParam(const ApiRequest& req, size_t def, size_t max, size_t* out);
// True for ?format=text, false for absent or ?format=json; anything else is an error.
Status TextFormat(const ApiRequest& req, bool* text);

// Parses a version number ("12"); false for anything else.
bool ParseVersionNumber(std::string_view s, uint64_t* out);

// A point in a source's history, or its live state.
struct HistoryPoint {
  bool live = false;
  VersionHeader header;  // when !live
};
// Resolves `spec`: a plain integer below 10^9 is a version number, "latest" the newest version,
// "live" the live state (when allow_live), anything else a time (at or before it).
Status ResolvePoint(const ApiContext& ctx, const std::string& source, std::string_view spec,
                    int64_t now_ns, bool allow_live, HistoryPoint* out);

}  // namespace netsnap::api
