#include "api/router.h"

namespace netsnap::api {

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t end = path.find('/');
    out.emplace_back(path.substr(0, end));
    path.remove_prefix(end == std::string_view::npos ? path.size() : end);
  }
  return out;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool MatchSegments(const Route& route, const std::vector<std::string>& parts,
                   std::map<std::string, std::string>* params) {
  if (route.segments.size() != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& want = route.segments[i];
    if (IsParam(want)) {
      if (parts[i].empty()) return false;
      (*params)[want.substr(1, want.size() - 2)] = parts[i];
    } else if (want != parts[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::Add(boost::beast::http::verb method, std::string pattern, Role role, Handler handler,
                 Runs runs) {
  Route r{method, pattern,           role, role == Role::kOperator, std::move(handler),
          runs,   SplitPath(pattern)};
  routes_.push_back(std::move(r));
}

Router::Match Router::Find(boost::beast::http::verb method,
                           const std::vector<std::string>& parts) const {
  Match m;
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!MatchSegments(r, parts, &params)) continue;
    if (r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += std::string(boost::beast::http::to_string(r.method));
  }
  return m;
}

}  // namespace netsnap::api
