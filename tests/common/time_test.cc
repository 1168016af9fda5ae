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

}  // namespace
}  // namespace netsnap
