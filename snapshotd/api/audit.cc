#include "api/audit.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "core/logging.h"

namespace netsnap::api {

namespace json = boost::json;

Actor ActorOf(const Principal& who) {
  Actor a;
  a.process = "api";
  a.cmdline = who.name;
  return a;
}

void Audit(const ApiContext& ctx, const Principal& who, const std::string& what,
           const std::string& source, const ApiResponse& res) {
  std::string name = who.name.empty() ? "unauthenticated" : who.name;
  std::string role(who.name.empty() ? "none" : RoleName(who.role));
  json::object f;
  f["who"] = name;
  f["role"] = role;
  f["what"] = what;
  f["status"] = res.status;
  std::string outcome = res.status < 400 ? "ok" : "error";
  if (res.status >= 400) {
    // The error code names what went wrong ("forbidden", "refused", ...).
    boost::system::error_code ec;
    json::value v = json::parse(res.body, ec);
    if (!ec && v.is_object() && v.as_object().contains("error")) {
      const json::value& err = v.as_object().at("error");
      if (err.is_object() && err.as_object().contains("code")) f["error"] = err.at("code");
      if (err.is_object() && err.as_object().contains("message")) {
        f["message"] = err.at("message");
      }
    }
  }
  f["outcome"] = outcome;
  for (const auto& [k, v] : res.audit) f[k] = v;
  LogEvent(spdlog::level::info, {source, "audit"},
           fmt::format("audit: {} ({}) {} -> {}", QuoteName(name), role, what, res.status));
  if (ctx.events) ctx.events->Publish("audit", source, std::move(f));
}

}  // namespace netsnap::api
