#include "core/log_format.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "netsnap/time.h"

namespace netsnap {

namespace {

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the first byte does not start one.
size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b = byte(0);
  if (b < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return n;
}

void AppendHex(std::string* out, const char* prefix, unsigned v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append(prefix);
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(v >> (4 * i)) & 0xF]);
}

std::string_view LevelName(spdlog::level::level_enum level) {
  auto name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

void AppendJournalField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->push_back('\n');
  uint64_t n = value.size();
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out->append(value);
  out->push_back('\n');
}

// journald takes datagrams up to its socket's buffer (about 200 KiB by default); a longer message
// would be refused whole, so it is cut here and says so.
constexpr size_t kMaxJournalMessage = 64 * 1024;

}  // namespace

std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    size_t n = Utf8SequenceLength(s);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD
      n = 1;
    } else {
      out.append(s.substr(0, n));
    }
    s.remove_prefix(n);
  }
  return out;
}

namespace {

// EscapeForText, and with `quote` a double quote becomes \" as well.
std::string Escape(std::string_view s, bool quote) {
  std::string out;
  out.reserve(s.size() + 2);
  while (!s.empty()) {
    size_t n = Utf8SequenceLength(s);
    unsigned char b = static_cast<unsigned char>(s[0]);
    if (n == 0) {
      AppendHex(&out, "\\x", b, 2);
      n = 1;
    } else if (b == '\\' || (quote && b == '"')) {
      out.push_back('\\');
      out.push_back(static_cast<char>(b));
    } else if (b == '\n') {
      out.append("\\n");
    } else if (b == '\r') {
      out.append("\\r");
    } else if (b == '\t') {
      out.append("\\t");
    } else if (b < 0x20 || b == 0x7F) {
      AppendHex(&out, "\\x", b, 2);
    } else if (b == 0xC2 && static_cast<unsigned char>(s[1]) < 0xA0) {
      // C1 controls U+0080..U+009F: some terminals act on them as on ESC sequences.
      AppendHex(&out, "\\u", static_cast<unsigned char>(s[1]), 4);
    } else {
      out.append(s.substr(0, n));
    }
    s.remove_prefix(n);
  }
  return out;
}

}  // namespace

std::string EscapeForText(std::string_view s) { return Escape(s, false); }

std::string QuoteName(std::string_view s) { return '"' + Escape(s, true) + '"'; }

std::string FormatTextLine(const LogRecord& r) {
  std::string line = FormatTime(r.time_ns);
  line.append(" ").append(LevelName(r.level));
  line.append(" [").append(std::to_string(r.thread)).append("] ");
  line.append(EscapeForText(r.message));
  if (!r.fields.source.empty()) line.append(" source=").append(QuoteName(r.fields.source));
  if (!r.fields.event.empty()) line.append(" event=").append(QuoteName(r.fields.event));
  line.push_back('\n');
  return line;
}

std::string FormatJsonLine(const LogRecord& r) {
  boost::json::object o;
  o["time"] = FormatTime(r.time_ns);
  o["level"] = LevelName(r.level);
  o["thread"] = r.thread;
  o["message"] = ToValidUtf8(r.message);
  if (!r.fields.source.empty()) o["source"] = ToValidUtf8(r.fields.source);
  if (!r.fields.event.empty()) o["event"] = ToValidUtf8(r.fields.event);
  std::string line = boost::json::serialize(o);
  line.push_back('\n');
  return line;
}

int SyslogPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;
    case spdlog::level::err:
      return 3;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::info:
      return 6;
    default:
      return 7;
  }
}

std::string FormatJournalDatagram(const LogRecord& r, std::string_view identifier) {
  std::string d;
  std::string_view message = r.message;
  std::string cut;
  if (message.size() > kMaxJournalMessage) {
    cut = std::string(message.substr(0, kMaxJournalMessage)) + " [message cut at 64 KiB]";
    message = cut;
  }
  AppendJournalField(&d, "MESSAGE", message);
  AppendJournalField(&d, "PRIORITY", std::to_string(SyslogPriority(r.level)));
  AppendJournalField(&d, "SYSLOG_IDENTIFIER", identifier);
  AppendJournalField(&d, "TID", std::to_string(r.thread));
  if (!r.fields.source.empty()) AppendJournalField(&d, "SOURCE", r.fields.source);
  if (!r.fields.event.empty()) AppendJournalField(&d, "EVENT", r.fields.event);
  return d;
}

}  // namespace netsnap
