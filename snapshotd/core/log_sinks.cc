#include "core/log_sinks.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace netsnap {

namespace {

thread_local LogFields current_fields;

LogRecord RecordOf(const spdlog::details::log_msg& msg) {
  LogRecord r;
  r.time_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch()).count();
  r.level = msg.level;
  r.thread = msg.thread_id;
  r.message = std::string_view(msg.payload.data(), msg.payload.size());
  r.fields = ScopedLogFields::Current();
  return r;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report a failing log
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

ScopedLogFields::ScopedLogFields(LogFields fields) : previous_(current_fields) {
  current_fields = fields;
}

ScopedLogFields::~ScopedLogFields() { current_fields = previous_; }

LogFields ScopedLogFields::Current() { return current_fields; }

void LineSink::sink_it_(const spdlog::details::log_msg& msg) {
  LogRecord r = RecordOf(msg);
  WriteAll(fd_, format_ == Format::kJson ? FormatJsonLine(r) : FormatTextLine(r));
}

JournalSink::JournalSink(std::string socket_path, std::string identifier)
    : socket_path_(std::move(socket_path)), identifier_(std::move(identifier)) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

JournalSink::~JournalSink() {
  if (fd_ >= 0) ::close(fd_);
}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  LogRecord r = RecordOf(msg);
  std::string datagram = FormatJournalDatagram(r, identifier_);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  bool sent = false;
  if (fd_ >= 0 && socket_path_.size() < sizeof addr.sun_path) {
    std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
    ssize_t n;
    do {
      n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    } while (n < 0 && errno == EINTR);
    sent = n == static_cast<ssize_t>(datagram.size());
  }
  if (!sent) WriteAll(STDERR_FILENO, FormatTextLine(r));
}

}  // namespace netsnap
