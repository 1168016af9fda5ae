#include "sources/kernel/rt_protos.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace netsnap::kernel {

namespace {

constexpr size_t kMaxName = 64;
constexpr uintmax_t kMaxFile = 1 << 20;

bool ParseNumber(std::string_view s, unsigned* out) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool GoodName(std::string_view s) {
  if (s.empty() || s.size() > kMaxName) return false;
  for (char c : s) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

// Whitespace-separated words of a line, up to a `#`.
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> w;
  size_t i = 0;
  while (i < line.size() && line[i] != '#') {
    if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' &&
           line[j] != '#') {
      ++j;
    }
    w.push_back(line.substr(i, j - i));
    i = j;
  }
  return w;
}

Status ReadFile(const std::filesystem::path& path, RouteProtocols* protocols) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::OK();
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(path.string() + ": " + ec.message());
  if (size > kMaxFile) return Status::InvalidArgument(path.string() + ": larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    return Status::IOError(path.string() + ": cannot be read: " + std::strerror(errno));
  }
  ParseRtProtos(text.str(), protocols);
  return Status::OK();
}

}  // namespace

void ParseRtProtos(std::string_view text, RouteProtocols* protocols) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::vector<std::string_view> w = Words(line);
    unsigned n = 0;
    if (w.size() != 2 || !ParseNumber(w[0], &n) || n > 255 || !GoodName(w[1])) continue;
    protocols->names[static_cast<uint8_t>(n)] = std::string(w[1]);
  }
}

Status LoadRtProtos(const std::string& dir, RouteProtocols* protocols) {
  namespace fs = std::filesystem;
  NETSNAP_RETURN_IF_ERROR(ReadFile(fs::path(dir) / "rt_protos", protocols));
  fs::path d = fs::path(dir) / "rt_protos.d";
  std::error_code ec;
  if (!fs::is_directory(d, ec)) return Status::OK();
  std::vector<fs::path> files;
  for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".conf") files.push_back(it->path());
  }
  if (ec) return Status::IOError(d.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) NETSNAP_RETURN_IF_ERROR(ReadFile(f, protocols));
  return Status::OK();
}

}  // namespace netsnap::kernel
