#include "api/params.h"

#include <charconv>

#include "netsnap/time.h"

namespace netsnap::api {

namespace {
// Integers at or above this are Unix seconds (2001-09-09), not version numbers.
constexpr uint64_t kFirstUnixSecondsTime = 1000000000;
}  // namespace

Status CheckSource(const ApiContext& ctx, const std::string& name) {
  if (ctx.FindSource(name)) return Status::OK();
  VersionHeader h;
  if (ctx.store->Latest(name, &h).ok()) return Status::OK();
  return Status::NotFound("no source named '" + name + "'");
}

Status TimeParam(const ApiRequest& req, std::string_view name, int64_t* out) {
  const std::string* v = req.Query(name);
  if (!v) return Status::OK();
  return ParseTime(*v, req.now_ns, out).WithContext(name);
}

Status LimitParam(const ApiRequest& req, size_t def, size_t max, size_t* out) {
  const std::string* v = req.Query("limit");
  if (!v) {
    *out = def;
    return Status::OK();
  }
  size_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n == 0) {
    return Status::InvalidArgument("limit must be a positive integer, not '" + *v + "'");
  }
  *out = n > max ? max : n;
  return Status::OK();
}

Status TextFormat(const ApiRequest& req, bool* text) {
  const std::string* v = req.Query("format");
  *text = v && *v == "text";
  if (v && *v != "text" && *v != "json") {
    return Status::InvalidArgument("format must be json or text, not '" + *v + "'");
  }
  return Status::OK();
}

bool ParseVersionNumber(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

Status ResolvePoint(const ApiContext& ctx, const std::string& source, std::string_view spec,
                    int64_t now_ns, bool allow_live, HistoryPoint* out) {
  out->live = false;
  if (spec == "live") {
    if (!allow_live) return Status::InvalidArgument("'live' is not a version");
    out->live = true;
    return Status::OK();
  }
  if (spec == "latest") {
    Status s = ctx.store->Latest(source, &out->header);
    return s.IsNotFound() ? Status::NotFound("source '" + source + "' has no versions") : s;
  }
  uint64_t number = 0;
  if (ParseVersionNumber(spec, &number) && number < kFirstUnixSecondsTime) {
    Status s = ctx.store->Header(source, number, &out->header);
    if (s.IsNotFound()) {
      return Status::NotFound("source '" + source + "' has no version " + std::string(spec));
    }
    return s;
  }
  int64_t t = 0;
  NETSNAP_RETURN_IF_ERROR(ParseTime(spec, now_ns, &t));
  Status s = ctx.store->AtOrBefore(source, t, &out->header);
  if (s.IsNotFound()) {
    return Status::NotFound("source '" + source + "' has no version at or before " + FormatTime(t));
  }
  return s;
}

}  // namespace netsnap::api
