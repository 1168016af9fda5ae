#include "netsnap/time.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <vector>

namespace netsnap {
namespace {

constexpr int64_t kS = 1000000000;
constexpr int64_t kNow = 1764230400LL * kS;  // 2025-11-27T08:00:00Z

int64_t P(const std::string& t) {
  int64_t out = 0;
  Status s = ParseTime(t, kNow, &out);
  EXPECT_TRUE(s.ok()) << t << ": " << s.ToString();
  return out;
}

TEST(Time, Rfc3339) {
  EXPECT_EQ(P("2025-11-27T08:00:00Z"), kNow);
  EXPECT_EQ(P("2025-11-27T08:00:00.5Z"), kNow + kS / 2);
  EXPECT_EQ(P("2025-11-27T09:00:00+01:00"), kNow);
  EXPECT_EQ(P("2025-11-27T08:00:00.000000001Z"), kNow + 1);
}

TEST(Time, UnixSecondsAndRelative) {
  EXPECT_EQ(P("1764230400"), kNow);
  EXPECT_EQ(P("1764230400.25"), kNow + kS / 4);
  EXPECT_EQ(P("-15m"), kNow - 900 * kS);
  EXPECT_EQ(P("-2h"), kNow - 7200 * kS);
  EXPECT_EQ(P("-30s"), kNow - 30 * kS);
  EXPECT_EQ(P("-1d"), kNow - 86400 * kS);
  EXPECT_EQ(P("now"), kNow);
}

TEST(Time, RejectsNonsenseWithAMessage) {
  int64_t out;
  for (const char* bad : {"", "yesterday", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z",
                          "2025-11-27T08:00:00", "-5x", "12abc", "2025-11-27T08:00:00Zjunk"}) {
    Status s = ParseTime(bad, kNow, &out);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_FALSE(s.message().empty());
  }
}

// Every form that would overflow int64 nanoseconds is refused by name, and the output is left
// alone, instead of wrapping around to some other time.
TEST(Time, OutOfRangeIsAnErrorNamingIt) {
  for (const char* bad :
       {"-99999999d", "+99999999d", "-106752d", "-9223372037s", "-9999999999999999999999w",
        "99999999999", "9223372037", "18446744073709551617.5", "9999-12-31T23:59:59Z",
        "2262-04-11T23:47:16.854775808Z", "1677-09-21T00:12:43.145224191Z", "0001-01-01T00:00:00Z",
        "2262-04-12T00:00:00+00:00"}) {
    int64_t out = 7;
    Status s = ParseTime(bad, kNow, &out);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("time '" + std::string(bad) + "' is out of range"),
              std::string::npos)
        << s.message();
    EXPECT_EQ(out, 7) << bad;
  }
  // A relative time that fits as a duration but not once added to now.
  int64_t out = 0;
  EXPECT_FALSE(ParseTime("-106751d", INT64_MIN / 2, &out).ok());
  EXPECT_FALSE(ParseTime("+1s", INT64_MAX, &out).ok());
}

TEST(Time, EdgesOfTheRangeStillParse) {
  EXPECT_EQ(P("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
  EXPECT_EQ(P("1677-09-21T00:12:43.145224192Z"), INT64_MIN);
  EXPECT_EQ(P("9223372036.854775807"), INT64_MAX);
  EXPECT_EQ(P("-106751d"), kNow - 106751LL * 86400 * kS);
  EXPECT_EQ(P("0000000000000000000000001764230400"), kNow);  // leading zeros are no overflow
}

TEST(Time, FormatIsRfc3339UtcWithNanoseconds) {
  EXPECT_EQ(FormatTime(kNow + 5), "2025-11-27T08:00:00.000000005Z");
  EXPECT_EQ(P(FormatTime(kNow + 123456789)), kNow + 123456789);
}

TEST(Time, FormatAgreesWithGmtimeAcrossCenturies) {
  // Leap days, century years and the epoch's edges, then a stride through 1900..2200.
  std::vector<int64_t> secs = {0,          -1,         951782400,   951868800, 4107542400,
                               4107456000, 1709164800, -2208988800, 7258118399};
  for (int64_t s = -2208988800; s < 7258118400; s += 86400 * 37 + 3671) secs.push_back(s);
  for (int64_t s : secs) {
    time_t t = static_cast<time_t>(s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char want[64];
    std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.000000007Z", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    ASSERT_EQ(FormatTime(s * kS + 7), want) << s;
  }
}

TEST(Duration, Units) {
  int64_t d;
  ASSERT_TRUE(ParseDuration("250ms", &d).ok());
  EXPECT_EQ(d, 250000000);
  ASSERT_TRUE(ParseDuration("90", &d).ok());
  EXPECT_EQ(d, 90 * kS);
  EXPECT_FALSE(ParseDuration("5 parsecs", &d).ok());
}

TEST(Duration, OutOfRangeIsAnErrorNamingIt) {
  for (const char* bad :
       {"106752d", "15251w", "9223372037", "99999999999999999999ns", "2562047788.1h"}) {
    int64_t d = 7;
    Status s = ParseDuration(bad, &d);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("duration '" + std::string(bad) + "' is out of range"),
              std::string::npos)
        << s.message();
    EXPECT_EQ(d, 7) << bad;
  }
  int64_t d = 0;
  ASSERT_TRUE(ParseDuration("9223372036854775807ns", &d).ok());
  EXPECT_EQ(d, INT64_MAX);
}

}  // namespace
}  // namespace netsnap
