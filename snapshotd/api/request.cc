#include "api/request.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/errors.h"

namespace netsnap::api {

std::string_view RoleName(Role role) { return role == Role::kOperator ? "operator" : "viewer"; }

const std::string* ApiRequest::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

const std::string& ApiRequest::Param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

void ApiResponse::Json(unsigned http_status, const boost::json::value& v) {
  status = http_status;
  content_type = "application/json";
  body = boost::json::serialize(v);
  body.push_back('\n');
}

void ApiResponse::Text(unsigned http_status, std::string text) {
  status = http_status;
  content_type = "text/plain; charset=utf-8";
  body = std::move(text);
}

void ApiResponse::Error(unsigned http_status, std::string_view code, std::string_view message) {
  status = http_status;
  content_type = "application/json";
  body = ErrorBody(code, message);
}

}  // namespace netsnap::api
