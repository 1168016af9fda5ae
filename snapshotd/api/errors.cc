#include "api/errors.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace netsnap::api {

unsigned HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kConflict:
    case Status::Code::kRefused:
      return 409;
    case Status::Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  boost::json::object err;
  err["code"] = code;
  err["message"] = message;
  boost::json::object o;
  o["error"] = std::move(err);
  std::string body = boost::json::serialize(o);
  body.push_back('\n');
  return body;
}

void SetError(const Status& s, ApiResponse* res) {
  res->Error(HttpStatusFor(s), s.CodeName(), s.message());
}

}  // namespace netsnap::api
