#include "netsnap/time.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace netsnap {

namespace {

constexpr int64_t kNsPerSec = 1000000000;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

enum class Parsed { kOk, kMalformed, kOutOfRange };

// Parses "123" or "123.456" as a count of `unit_ns` with checked integer arithmetic: a number too
// large for int64 nanoseconds is kOutOfRange, never a wrapped value.
Parsed ParseDecimal(std::string_view s, int64_t unit_ns, int64_t* out) {
  size_t dot = s.find('.');
  std::string_view ip = s.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (ip.empty() && fp.empty()) return Parsed::kMalformed;
  if (!ip.empty() && !AllDigits(ip)) return Parsed::kMalformed;
  if (dot != std::string_view::npos && !AllDigits(fp)) return Parsed::kMalformed;
  int64_t whole = 0;
  for (char c : ip) {
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, c - '0', &whole)) {
      return Parsed::kOutOfRange;
    }
  }
  // Fraction: up to 18 digits of precision; below one unit, so it fits.
  long double frac = 0, scale = 1;
  for (size_t i = 0; i < fp.size() && i < 18; ++i) {
    scale /= 10;
    frac += (fp[i] - '0') * scale;
  }
  int64_t ns = 0;
  if (__builtin_mul_overflow(whole, unit_ns, &ns) ||
      __builtin_add_overflow(ns, static_cast<int64_t>(frac * unit_ns), &ns)) {
    return Parsed::kOutOfRange;
  }
  *out = ns;
  return Parsed::kOk;
}

// Times are int64 nanoseconds since 1970, so they span 1677-09-21 to 2262-04-11.
Status TimeOutOfRange(std::string_view text) {
  return Status::InvalidArgument("time '" + std::string(text) +
                                 "' is out of range: times lie between 1677-09-21 and 2262-04-11");
}

int64_t UnitNs(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1000;
  if (unit == "ms") return 1000000;
  if (unit == "s" || unit.empty()) return kNsPerSec;
  if (unit == "m") return 60 * kNsPerSec;
  if (unit == "h") return 3600 * kNsPerSec;
  if (unit == "d") return 86400 * kNsPerSec;
  if (unit == "w") return 7 * 86400 * kNsPerSec;
  return 0;
}

// A number with an optional unit ("15m", "1.5h", "90").
Parsed ParseDurationValue(std::string_view text, int64_t* out_ns) {
  size_t u = text.size();
  while (u > 0 && std::isalpha(static_cast<unsigned char>(text[u - 1]))) --u;
  int64_t unit = UnitNs(text.substr(u));
  return unit == 0 ? Parsed::kMalformed : ParseDecimal(text.substr(0, u), unit, out_ns);
}

int Num(std::string_view s, size_t pos, size_t len, bool* ok) {
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) {
      *ok = false;
      return 0;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Messages name no input; ParseTime adds it. A valid time outside the int64 span is kOutOfRange.
Status ParseRfc3339(std::string_view s, int64_t* out, bool* out_of_range) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  bool ok = true;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return Status::InvalidArgument("not an RFC 3339 time");
  }
  std::tm tm{};
  tm.tm_year = Num(s, 0, 4, &ok) - 1900;
  tm.tm_mon = Num(s, 5, 2, &ok) - 1;
  tm.tm_mday = Num(s, 8, 2, &ok);
  tm.tm_hour = Num(s, 11, 2, &ok);
  tm.tm_min = Num(s, 14, 2, &ok);
  tm.tm_sec = Num(s, 17, 2, &ok);
  if (!ok || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return Status::InvalidArgument("RFC 3339 time has a field out of range");
  }
  size_t i = 19;
  int64_t frac_ns = 0;
  if (i < s.size() && s[i] == '.') {
    size_t start = ++i;
    int64_t scale = 100000000;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (scale > 0) {
        frac_ns += (s[i] - '0') * scale;
        scale /= 10;
      }
      ++i;
    }
    if (i == start) return Status::InvalidArgument("RFC 3339 time has an empty fraction");
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int hh = Num(s, i + 1, 2, &ok), mm = Num(s, i + 4, 2, &ok);
    if (!ok || hh > 23 || mm > 59) return Status::InvalidArgument("RFC 3339 offset out of range");
    offset_s = (hh * 3600 + mm * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return Status::InvalidArgument("RFC 3339 time needs a zone: Z or +HH:MM");
  }
  if (i != s.size()) return Status::InvalidArgument("trailing characters after RFC 3339 time");
  // timegm normalises out-of-range days (Feb 30) in place; reject those.
  int mday = tm.tm_mday;
  time_t t = timegm(&tm);
  if (tm.tm_mday != mday) return Status::InvalidArgument("no such day");
  int64_t secs = 0, ns = 0;
  bool overflow = __builtin_sub_overflow(static_cast<int64_t>(t), offset_s, &secs);
  if (secs < 0 && frac_ns > 0) {
    // Borrow a second, so that the earliest times (1677-09-21T00:12:43.145224192Z) fit.
    ++secs;
    frac_ns -= kNsPerSec;
  }
  if (overflow || __builtin_mul_overflow(secs, kNsPerSec, &ns) ||
      __builtin_add_overflow(ns, frac_ns, &ns)) {
    *out_of_range = true;
    return Status::InvalidArgument("out of range");
  }
  *out = ns;
  return Status::OK();
}

}  // namespace

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status ParseDuration(std::string_view text, int64_t* out_ns) {
  int64_t v = 0;
  Parsed p = ParseDurationValue(text, &v);
  if (p == Parsed::kOutOfRange) {
    return Status::InvalidArgument("duration '" + std::string(text) +
                                   "' is out of range: durations reach up to 106,751 days");
  }
  if (p == Parsed::kMalformed) {
    return Status::InvalidArgument("bad duration '" + std::string(text) +
                                   "': use a number with a unit, e.g. 30s, 15m, 2h, 1d");
  }
  *out_ns = v;
  return Status::OK();
}

Status ParseTime(std::string_view text, int64_t now_ns, int64_t* out_ns) {
  if (text.empty()) return Status::InvalidArgument("empty time");
  if (text == "now") {
    *out_ns = now_ns;
    return Status::OK();
  }
  if (text[0] == '-' || text[0] == '+') {
    int64_t d = 0, t = 0;
    Parsed p = ParseDurationValue(text.substr(1), &d);
    if (p == Parsed::kMalformed) {
      return Status::InvalidArgument("bad relative time '" + std::string(text) +
                                     "': use e.g. -30s, -15m, -2h, -1d");
    }
    if (p == Parsed::kOutOfRange || (text[0] == '-' ? __builtin_sub_overflow(now_ns, d, &t)
                                                    : __builtin_add_overflow(now_ns, d, &t))) {
      return TimeOutOfRange(text);
    }
    *out_ns = t;
    return Status::OK();
  }
  if (text.size() >= 20 && text[4] == '-') {
    bool out_of_range = false;
    Status s = ParseRfc3339(text, out_ns, &out_of_range);
    if (out_of_range) return TimeOutOfRange(text);
    if (!s.ok()) {
      return Status::InvalidArgument("bad time '" + std::string(text) + "': " + s.message());
    }
    return s;
  }
  switch (ParseDecimal(text, kNsPerSec, out_ns)) {
    case Parsed::kOk:
      return Status::OK();
    case Parsed::kOutOfRange:
      return TimeOutOfRange(text);
    case Parsed::kMalformed:
      break;
  }
  return Status::InvalidArgument("bad time '" + std::string(text) +
                                 "': use RFC 3339 (2026-11-27T08:00:00Z), Unix seconds, or a "
                                 "relative time (-15m, -2h, -1d)");
}

std::string FormatTime(int64_t ns) {
  int64_t secs = ns / kNsPerSec;
  int64_t frac = ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 in the proleptic Gregorian calendar, by 400-year eras
  // of 146,097 days that start on 0000-03-01.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09lldZ",
                  static_cast<long long>(year), static_cast<long long>(month),
                  static_cast<long long>(day), static_cast<long long>(sod / 3600),
                  static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                  static_cast<long long>(frac));
    return buf;
  }
  std::string out = "0000-00-00T00:00:00.000000000Z";
  auto put = [&out](size_t end, int64_t v, int width) {
    for (int i = 0; i < width; ++i, v /= 10) out[end - i] = static_cast<char>('0' + v % 10);
  };
  put(3, year, 4);
  put(6, month, 2);
  put(9, day, 2);
  put(12, sod / 3600, 2);
  put(15, sod / 60 % 60, 2);
  put(18, sod % 60, 2);
  put(28, frac, 9);
  return out;
}

}  // namespace netsnap
