// API errors: every failure is answered with a fitting HTTP status and a body
// {"error":{"code":"not_found","message":"source 'x' does not exist"}}.
#pragma once

#include <string>
#include <string_view>

#include "api/request.h"
#include "netsnap/status.h"

namespace netsnap::api {

// NotFound 404, InvalidArgument 400, Conflict and Refused 409, Unavailable 503, anything else
// 500.
unsigned HttpStatusFor(const Status& s);
// The error body, newline-terminated.
std::string ErrorBody(std::string_view code, std::string_view message);
// Fills `res` with the error `s` describes (its code name, its message).
void SetError(const Status& s, ApiResponse* res);

}  // namespace netsnap::api
