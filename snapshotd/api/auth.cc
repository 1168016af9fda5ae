#include "api/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netsnap::api {

namespace {

constexpr size_t kMinTokenLength = 16;
constexpr size_t kMaxFileBytes = 1 << 20;
constexpr std::string_view kHashPrefix = "sha256:";

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

// The digest a token field stands for: the hash it spells, or the hash of the plain token.
Status TokenDigest(std::string_view token, const std::string& where, Sha256Digest* out) {
  if (token.substr(0, kHashPrefix.size()) == kHashPrefix) {
    if (!ParseDigestHex(token.substr(kHashPrefix.size()), out)) {
      return Status::InvalidArgument(where + ": sha256: must be followed by 64 hex digits");
    }
    return Status::OK();
  }
  if (token.size() < kMinTokenLength) {
    return Status::InvalidArgument(where + ": token shorter than " +
                                   std::to_string(kMinTokenLength) + " characters");
  }
  *out = Sha256(token);
  return Status::OK();
}

// A token file anyone else can read leaks operator access; one anyone else can write grants it.
Status CheckFileSafety(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return Status::IOError("cannot stat token file " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::Refused("token file " + path + " is not a file");
  if (st.st_uid != geteuid()) {
    return Status::Refused("token file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                           ", not by the daemon's uid " + std::to_string(geteuid()) +
                           "; chown it to the daemon's user");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status::Refused("token file " + path +
                           " is open to group or others; chmod 600 it (and replace its tokens, "
                           "which others may have read)");
  }
  return Status::OK();
}

}  // namespace

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
    Entry e;
    NETSNAP_RETURN_IF_ERROR(TokenDigest(token, where, &e.digest));
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
  // The checks and the read use one descriptor: the file checked is the file read.
  int fd = open(token_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IOError("cannot read token file " + token_file + ": " + std::strerror(errno));
  }
  Status s = CheckFileSafety(fd, token_file);
  std::string text;
  char buf[4096];
  while (s.ok()) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = Status::IOError("cannot read token file " + token_file + ": " + std::strerror(errno));
    }
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) {
      s = Status::Refused("token file " + token_file + " exceeds 1 MB");
    }
  }
  close(fd);
  NETSNAP_RETURN_IF_ERROR(s);
  return Parse(text, token_file, out);
}

AuthResult Authenticator::Authenticate(std::string_view authorization, Principal* out) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      authorization.substr(0, kBearer.size()) != kBearer) {
    return authorization.empty() ? AuthResult::kMissing : AuthResult::kInvalid;
  }
  Sha256Digest presented = Sha256(Trim(authorization.substr(kBearer.size())));
  // Every entry is compared, so the time taken does not tell which one matched.
  const Entry* match = nullptr;
  for (const Entry& e : entries_) {
    if (DigestEquals(e.digest, presented)) match = &e;
  }
  if (!match) return AuthResult::kInvalid;
  *out = match->principal;
  return AuthResult::kOk;
}

}  // namespace netsnap::api
