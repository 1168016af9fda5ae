// spdlog sinks that write records as log_format.h renders them: lines on a file descriptor (text
// or JSON) or datagrams to journald. Structured fields reach them through ScopedLogFields, set
// by the logging thread around one call (the loggers here are synchronous, so the sink runs on
// that same thread).
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <mutex>
#include <string>

#include "core/log_format.h"

namespace netsnap {

// Attaches `fields` to every record logged by this thread while it lives.
class ScopedLogFields {
 public:
  explicit ScopedLogFields(LogFields fields);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

  // The fields of the innermost live ScopedLogFields on this thread, or none.
  static LogFields Current();

 private:
  LogFields previous_;
};

// One line per record on `fd`, written with a single write(2) so that lines of concurrent
// writers (this process or another on the same pipe) do not interleave below PIPE_BUF bytes.
class LineSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  enum class Format { kText, kJson };
  LineSink(int fd, Format format) : fd_(fd), format_(format) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  int fd_;
  Format format_;
};

// journald's native protocol on a Unix datagram socket at `socket_path` (normally
// /run/systemd/journal/socket). A record journald does not take (socket gone, too large) is
// written as a text line to stderr instead, so it is not lost.
class JournalSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  JournalSink(std::string socket_path, std::string identifier);
  ~JournalSink() override;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::string socket_path_;
  std::string identifier_;
  int fd_ = -1;
};

}  // namespace netsnap
