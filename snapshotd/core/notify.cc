#include "core/notify.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace netsnap {

namespace {

int64_t ParseUnsigned(const char* text) {
  int64_t v = 0;
  if (!text) return 0;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, v);
  return ec == std::errc() && p == end && v > 0 ? v : 0;
}

}  // namespace

Notifier Notifier::FromEnvironment() {
  Notifier n;
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket && (socket[0] == '/' || socket[0] == '@') &&
      std::strlen(socket) < sizeof(sockaddr_un::sun_path)) {
    n.address_ = socket;
    if (n.address_[0] == '@') n.address_[0] = '\0';
  }
  // WATCHDOG_PID names the process the watchdog is meant for; another process ignores it.
  int64_t pid = ParseUnsigned(std::getenv("WATCHDOG_PID"));
  if (pid == 0 || pid == getpid()) n.watchdog_usec_ = ParseUnsigned(std::getenv("WATCHDOG_USEC"));
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  return n;
}

void Notifier::Send(std::string_view state) const {
  if (!enabled()) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address_.data(), address_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    spdlog::debug("sd_notify: socket: {}", std::strerror(errno));
    return;
  }
  ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&addr), len);
  if (n < 0) spdlog::debug("sd_notify: sendto: {}", std::strerror(errno));
  close(fd);
}

}  // namespace netsnap
