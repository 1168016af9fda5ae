#include "service/backup_command.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "netsnap/store.h"
#include "store/backup.h"

namespace netsnap {

namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using local = boost::asio::local::stream_protocol;

// A backup answer (201) is small; anything larger is not one.
constexpr size_t kMaxReplyBytes = 64 * 1024;

void PrintReport(const std::string& path, uint64_t sources, uint64_t versions, uint64_t bytes,
                 double checkpoint_ms, double verify_ms) {
  std::printf(
      "backup at %s: %llu sources, %llu versions verified, %llu bytes; checkpoint %.1f ms, "
      "verification %.1f ms\n",
      path.c_str(), static_cast<unsigned long long>(sources),
      static_cast<unsigned long long>(versions), static_cast<unsigned long long>(bytes),
      checkpoint_ms, verify_ms);
}

// Connects to the daemon's socket; false when nothing listens there.
bool ConnectDaemon(const std::string& socket_path, local::socket* sock) {
  if (socket_path.empty()) return false;
  boost::system::error_code ec;
  sock->connect(local::endpoint(socket_path), ec);
  return !ec;
}

int BackupThroughDaemon(local::socket* sock, const std::string& out) {
  http::request<http::string_body> req{http::verb::post, "/v1/backup", 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::content_type, "application/json");
  req.body() = json::serialize(json::object{{"path", out}});
  req.prepare_payload();
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  boost::system::error_code ec;
  http::write(*sock, req, ec);
  if (!ec) http::read(*sock, buffer, parser, ec);
  if (ec) {
    std::fprintf(stderr, "snapshotd backup: the daemon's socket failed: %s\n",
                 ec.message().c_str());
    return 1;
  }
  const auto& res = parser.get();
  json::value body = json::parse(res.body(), ec);
  if (res.result_int() != 201 || ec || !body.is_object()) {
    const json::value* message = nullptr;
    if (!ec && body.is_object()) {
      if (const json::value* e = body.as_object().if_contains("error"); e && e->is_object()) {
        message = e->as_object().if_contains("message");
      }
    }
    std::fprintf(
        stderr, "snapshotd backup: the daemon answered %u: %s\n", res.result_int(),
        message && message->is_string() ? message->as_string().c_str() : res.body().c_str());
    return 1;
  }
  const json::object& o = body.as_object();
  auto count = [&](const char* k) { return o.contains(k) ? o.at(k).to_number<uint64_t>() : 0; };
  auto ms = [&](const char* k) { return o.contains(k) ? o.at(k).to_number<double>() : 0.0; };
  PrintReport(out, count("sources"), count("versions"), count("bytes"), ms("checkpoint_ms"),
              ms("verify_ms"));
  return 0;
}

int BackupHere(const DaemonConfig& config, const std::string& out) {
  StoreOptions o;
  o.path = config.data_dir + "/store";
  std::error_code ec;
  if (!std::filesystem::exists(o.path + "/CURRENT", ec)) {
    std::fprintf(stderr, "snapshotd backup: there is no store at %s (check --data-dir)\n",
                 o.path.c_str());
    return 1;
  }
  std::unique_ptr<Store> store;
  if (Status s = Store::Open(o, &store); !s.ok()) {
    std::fprintf(stderr,
                 "snapshotd backup: %s\n(a running snapshotd holds the store: give it an API "
                 "socket, or ask it with POST /v1/backup)\n",
                 s.message().c_str());
    return 1;
  }
  store::BackupReport r;
  if (Status s = store::BackupStore(store.get(), out, &r); !s.ok()) {
    std::fprintf(stderr, "snapshotd backup: %s\n", s.message().c_str());
    return 1;
  }
  PrintReport(out, r.sources, r.versions, r.bytes, static_cast<double>(r.checkpoint_ns) / 1e6,
              static_cast<double>(r.verify_ns) / 1e6);
  return 0;
}

}  // namespace

int RunBackupCommand(const DaemonConfig& config, const std::string& out) {
  std::error_code ec;
  // Lexical only: links and ".." are then refused by the checks of store/backup_target.h.
  std::string path =
      out.empty() || out.front() == '/' ? out : std::filesystem::absolute(out, ec).string();
  boost::asio::io_context io;
  local::socket sock(io);
  if (ConnectDaemon(config.socket, &sock)) return BackupThroughDaemon(&sock, path);
  return BackupHere(config, path);
}

}  // namespace netsnap
