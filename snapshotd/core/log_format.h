// How one log record becomes bytes: a text line, a JSON line, or a journald datagram. Pure
// functions, so every output can be checked without a daemon. Messages and field values may hold
// anything a request can carry (quotes, newlines, ESC, invalid UTF-8); none of the outputs lets
// such content start a new record or a new field.
#pragma once

#include <spdlog/common.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace netsnap {

// Structured fields of a record; an empty view means "not given".
struct LogFields {
  std::string_view source;  // the source the record is about ("main", a URL's name, ...)
  std::string_view event;   // the kind of event ("audit", "detection", ...)
};

struct LogRecord {
  int64_t time_ns = 0;
  spdlog::level::level_enum level = spdlog::level::info;
  size_t thread = 0;
  std::string_view message;
  LogFields fields;
};

// `s` with every invalid UTF-8 byte replaced by U+FFFD, so a JSON serializer emits valid UTF-8.
std::string ToValidUtf8(std::string_view s);

// `s` for a one-line text log: backslash, C0 controls, DEL and C1 controls become escapes
// (\\, \n, \r, \t, \x1b, \u0085) and invalid UTF-8 bytes become \xNN; the result holds no control
// character at all.
std::string EscapeForText(std::string_view s);

// `s` escaped as by EscapeForText and with `"` as `\"`, between double quotes: for names inside a
// message, so that a name holding spaces or quotes cannot pass for more words or fields of it.
std::string QuoteName(std::string_view s);

// "2026-11-30T23:17:00.123456789Z info [12] message source=\"x\" event=\"audit\"\n".
std::string FormatTextLine(const LogRecord& r);

// {"time":..,"level":..,"thread":..,"message":..[,"source":..][,"event":..]} and a newline, built
// with Boost.JSON.
std::string FormatJsonLine(const LogRecord& r);

// syslog priority for journald: critical 2, error 3, warn 4, info 6, debug and trace 7.
int SyslogPriority(spdlog::level::level_enum level);

// One datagram of journald's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL): MESSAGE,
// PRIORITY, SYSLOG_IDENTIFIER, TID and the given SOURCE/EVENT fields, every value in the
// length-prefixed binary form so that no byte of it can start another field. journald stamps the
// time itself, so no time is sent.
std::string FormatJournalDatagram(const LogRecord& r, std::string_view identifier);

}  // namespace netsnap
