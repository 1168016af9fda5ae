#include "api/auth.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace netsnap::api {

namespace {

constexpr size_t kMinTokenLength = 16;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits off the first whitespace-separated word of *s.
std::string_view NextWord(std::string_view* s) {
  *s = Trim(*s);
  size_t end = s->find_first_of(" \t");
  std::string_view word = s->substr(0, end);
  s->remove_prefix(end == std::string_view::npos ? s->size() : end);
  return word;
}

}  // namespace

bool ConstantTimeEquals(std::string_view expected, std::string_view presented) {
  unsigned char diff = expected.size() == presented.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i) {
    unsigned char e = i < expected.size() ? static_cast<unsigned char>(expected[i]) : 0;
    diff |= e ^ static_cast<unsigned char>(presented[i]);
  }
  return diff == 0;
}

Status Authenticator::Parse(std::string_view text, const std::string& origin,
                            std::unique_ptr<Authenticator>* out) {
  auto auth = std::make_unique<Authenticator>();
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    std::string where = origin + ":" + std::to_string(line_no);
    std::string_view token = NextWord(&line);
    std::string_view role = NextWord(&line);
    std::string_view name = Trim(line);
    if (role.empty() || name.empty()) {
      return Status::InvalidArgument(where + ": expected `TOKEN ROLE NAME`");
    }
    if (token.size() < kMinTokenLength) {
      return Status::InvalidArgument(where + ": token shorter than " +
                                     std::to_string(kMinTokenLength) + " characters");
    }
    Entry e;
    e.token = std::string(token);
    e.principal.name = std::string(name);
    if (role == "viewer") {
      e.principal.role = Role::kViewer;
    } else if (role == "operator") {
      e.principal.role = Role::kOperator;
    } else {
      return Status::InvalidArgument(where + ": role must be viewer or operator, not '" +
                                     std::string(role) + "'");
    }
    auth->entries_.push_back(std::move(e));
  }
  if (auth->entries_.empty()) return Status::InvalidArgument(origin + ": no tokens");
  *out = std::move(auth);
  return Status::OK();
}

Status Authenticator::Load(const std::string& token_file, std::unique_ptr<Authenticator>* out) {
  if (token_file.empty()) {
    *out = std::make_unique<Authenticator>();
    return Status::OK();
  }
  std::ifstream in(token_file);
  if (!in) return Status::IOError("cannot read token file " + token_file);
  struct stat st;
  if (stat(token_file.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    spdlog::warn("token file {} is readable by group or others; chmod 600 it", token_file);
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), token_file, out);
}

AuthResult Authenticator::Authenticate(std::string_view authorization, bool peer_is_loopback,
                                       Principal* out) const {
  if (entries_.empty()) {
    // No tokens: the server listens on loopback only (checked at start), so this is a local
    // user; the peer check is a second guard.
    if (!peer_is_loopback) return AuthResult::kInvalid;
    out->name = "loopback";
    out->role = Role::kOperator;
    return AuthResult::kOk;
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      authorization.substr(0, kBearer.size()) != kBearer) {
    return authorization.empty() ? AuthResult::kMissing : AuthResult::kInvalid;
  }
  std::string_view token = Trim(authorization.substr(kBearer.size()));
  // Every entry is compared, so the time taken does not tell which one matched.
  const Entry* match = nullptr;
  for (const Entry& e : entries_) {
    if (ConstantTimeEquals(e.token, token)) match = &e;
  }
  if (!match) return AuthResult::kInvalid;
  *out = match->principal;
  return AuthResult::kOk;
}

}  // namespace netsnap::api
