// The detection inbox (detection_inbox.h), driven directly so that the backlog is exact: no
// detection thread takes entries while the test pushes.
#include "detect/detection_inbox.h"

#include <gtest/gtest.h>

#include <map>

#include "synthetic.h"

namespace netsnap::testing {
namespace {

// Version n of a source holds n % 250 routes (MakeRoutes makes at most 250), so a snapshot's
// size names its version.
uint64_t SizeOf(uint64_t n) { return n % 250; }
Snapshot Content(uint64_t n) {
  return SnapshotOf(RecordsOf(MakeRoutes(254, static_cast<int>(SizeOf(n)))));
}

VersionCommitted Version(const std::string& source, uint64_t n, Cause cause = Cause::kEvent) {
  VersionCommitted v;
  v.source = source;
  v.previous.version = n - 1;
  v.current.version = n;
  v.current.cause = cause;
  v.before = Content(n - 1);
  v.after = Content(n);
  return v;
}

// Takes every entry waiting, in order (Next, then Done, as the detection thread does).
std::vector<DetectionInbox::Entry> Drain(DetectionInbox* inbox) {
  std::vector<DetectionInbox::Entry> out;
  while (inbox->size() > 0) {
    DetectionInbox::Entry e;
    EXPECT_TRUE(inbox->Next(&e));
    inbox->Done();
    out.push_back(std::move(e));
  }
  return out;
}

// Sources that alternate fold per source: 1000 versions of each of a and b wait as
// kFoldAbove entries, and each source's entries still chain from its first version to its last.
TEST(DetectionInbox, AlternatingSourcesCoalescePerSource) {
  Metrics metrics;
  TestClock clock(1);
  DetectionInbox inbox(&metrics, &clock);
  for (uint64_t n = 1; n <= 1000; ++n) {
    inbox.Push(Version("a", n));
    inbox.Push(Version("b", n));
    ASSERT_LE(inbox.size(), DetectionInbox::kFoldAbove) << "after version " << n;
  }
  EXPECT_EQ(inbox.size(), DetectionInbox::kFoldAbove);
  std::map<std::string, uint64_t> last;  // the version each source's entries reached
  for (const DetectionInbox::Entry& e : Drain(&inbox)) {
    uint64_t from = last.count(e.v.source) ? last[e.v.source] : 0;
    EXPECT_EQ(e.v.previous.version, from) << e.v.source;
    EXPECT_EQ(e.v.before.size(), SizeOf(from)) << e.v.source;
    EXPECT_EQ(e.v.after.size(), SizeOf(e.v.current.version)) << e.v.source;
    last[e.v.source] = e.v.current.version;
  }
  EXPECT_EQ(last["a"], 1000u);
  EXPECT_EQ(last["b"], 1000u);
  EXPECT_EQ(metrics.Get("netsnap_detection_inbox_overflows_total", {{"source", "a"}}), 0);
}

// Versions the daemon made do not fold with the others, so a source whose writer and the
// daemon take turns gathers entries; the one past kMaxPerSource collapses them into one
// inspection from the last inspected version to the newest, counted once.
TEST(DetectionInbox, OverflowFoldsIntoOneInspectionFromTheLastInspected) {
  Metrics metrics;
  TestClock clock(1);
  DetectionInbox inbox(&metrics, &clock);
  inbox.Push(Version("a", 1));
  inbox.Push(Version("b", 1));
  DetectionInbox::Entry inspected;
  ASSERT_TRUE(inbox.Next(&inspected));  // a's version 1 is being inspected
  inbox.Done();
  ASSERT_EQ(inspected.v.current.version, 1u);

  // Versions 2 .. last-1 of a wait, kMaxPerSource of them; version `last` overflows.
  const uint64_t last = 2 + DetectionInbox::kMaxPerSource;
  for (uint64_t n = 2; n < last; ++n) {
    inbox.Push(Version("a", n, n % 2 ? Cause::kRestore : Cause::kEvent));
  }
  ASSERT_EQ(inbox.size(), 1 + DetectionInbox::kMaxPerSource) << "no fold, no overflow yet";
  EXPECT_EQ(metrics.Get("netsnap_detection_inbox_overflows_total", {{"source", "a"}}), 0);
  clock.Advance(5);
  VersionCommitted newest = Version("a", last, Cause::kRestore);
  newest.current.time_ns = clock.NowNs() - 3;  // captured 3 ns before the push
  inbox.Push(newest);

  std::vector<DetectionInbox::Entry> left = Drain(&inbox);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].v.source, "b");
  const DetectionInbox::Entry& merged = left[1];
  EXPECT_EQ(merged.v.source, "a");
  EXPECT_EQ(merged.v.previous.version, inspected.v.current.version);
  EXPECT_EQ(merged.v.before.size(), inspected.v.after.size());
  EXPECT_EQ(merged.v.current.version, last);
  EXPECT_EQ(merged.v.after.size(), SizeOf(last));
  EXPECT_FALSE(merged.own) << "the writer's versions in it are inspected";
  EXPECT_EQ(merged.changed_mono_ns, clock.MonotonicNs() - 3) << "the newest version's capture";
  EXPECT_EQ(metrics.Get("netsnap_detection_inbox_overflows_total", {{"source", "a"}}), 1);
  EXPECT_EQ(metrics.Get("netsnap_detection_inbox_overflows_total", {{"source", "b"}}), 0);
}

// An entry's change time is its version's capture time carried over to the monotonic clock
// (the settle delay counts from it, not from the later commit); a capture time ahead of the wall
// clock or more than kMaxCaptureAgeNs behind it (a wall-clock step) is clamped.
TEST(DetectionInbox, ChangeTimeIsTheCaptureOnTheMonotonicClock) {
  TestClock clock(int64_t{1'700'000'000} * 1'000'000'000);
  clock.Advance(int64_t{10} * 1'000'000'000);
  DetectionInbox inbox(nullptr, &clock);
  const int64_t mono = clock.MonotonicNs();
  const int64_t age = 250'000'000;  // a debounce and a commit
  for (int64_t captured : {clock.NowNs() - age, clock.NowNs() + age,
                           clock.NowNs() - 60 * DetectionInbox::kMaxCaptureAgeNs}) {
    VersionCommitted v = Version("a", 1);
    v.current.time_ns = captured;
    inbox.Push(v);
  }
  std::vector<DetectionInbox::Entry> e = Drain(&inbox);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].changed_mono_ns, mono - age);
  EXPECT_EQ(e[1].changed_mono_ns, mono) << "captured after the push: a step back";
  EXPECT_EQ(e[2].changed_mono_ns, mono - DetectionInbox::kMaxCaptureAgeNs) << "a step forward";
}

// WaitIdle is the barrier the other tests use: it holds until the entries pushed before it
// are done, and Busy says whether a source has any waiting or being inspected.
TEST(DetectionInbox, WaitIdleAndBusyFollowInspection) {
  TestClock clock(1);
  DetectionInbox inbox(nullptr, &clock);
  inbox.Push(Version("a", 1));
  EXPECT_TRUE(inbox.Busy("a"));
  EXPECT_FALSE(inbox.Busy("b"));
  EXPECT_FALSE(inbox.WaitIdle(std::chrono::milliseconds(0)));
  DetectionInbox::Entry e;
  ASSERT_TRUE(inbox.Next(&e));
  EXPECT_TRUE(inbox.Busy("a")) << "being inspected";
  inbox.Done();
  EXPECT_FALSE(inbox.Busy("a"));
  EXPECT_TRUE(inbox.WaitIdle(std::chrono::milliseconds(0)));
  inbox.Close();
  EXPECT_FALSE(inbox.Next(&e));
}

}  // namespace
}  // namespace netsnap::testing
