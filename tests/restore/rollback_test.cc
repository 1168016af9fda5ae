// Rollbacks of a kernel source in a network namespace the test creates: a real daemon core, a
// real RocksDB in a temp folder, real rtnetlink.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "core/clock.h"
#include "core/config.h"
#include "core/daemon.h"
#include "netns.h"
#include "netsnap/route.h"
#include "netsnap/time.h"
#include "restore/rollback_manager.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::NetNs;
using testing::TempDir;

RollbackRequest To(const std::string& when) {
  RollbackRequest r;
  r.to = when;
  return r;
}
RollbackRequest DryRun(RollbackRequest r) {
  r.dry_run = true;
  return r;
}
RollbackRequest IfUnchanged(RollbackRequest r) {
  r.if_unchanged = true;
  return r;
}

class RollbackTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }

  void Start(RollbackOptions options = {}, const Clock* clock = Clock::Real()) {
    std::string toml = "[daemon]\ndata_dir = \"" + dir_.path() +
                       "\"\n[[source]]\nname = \"k\"\nkind = \"kernel\"\nnetns = \"" + ns_.path() +
                       "\"\ndebounce_ms = 20\nmax_delay_ms = 200\n";
    DaemonConfig cfg;
    Status s = ParseConfig(toml, "test.toml", &cfg);
    ASSERT_TRUE(s.ok()) << s.ToString();
    daemon_ = std::make_unique<Daemon>(cfg);
    s = daemon_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    rec_ = daemon_->FindSource("k");
    ASSERT_NE(rec_, nullptr);
    rm_ = std::make_unique<RollbackManager>(RollbackDeps::Of(daemon_.get(), clock),
                                            std::move(options));
    ASSERT_TRUE(rm_->Start().ok());
  }
  void Stop() {
    if (rm_) rm_->Stop();
    rm_.reset();
    if (daemon_) daemon_->Stop();
    daemon_.reset();
  }

  // Runs `ip -batch` lines in the namespace.
  void Batch(const std::vector<std::string>& lines) {
    std::string f = dir_.Sub("batch.txt");
    std::ofstream out(f);
    for (const auto& l : lines) out << l << "\n";
    out.close();
    ASSERT_EQ(ns_.IpBatch(f), 0) << lines.front();
  }
  void Routes(int first, int n, const std::string& extra) {
    std::vector<std::string> lines;
    for (int i = first; i < first + n; ++i) {
      lines.push_back("route add 10." + std::to_string(100 + i / 250) + "." +
                      std::to_string(i % 250) + ".0/24 via 10.99.0." + std::to_string(3 + i % 5) +
                      " dev a0 " + extra);
    }
    Batch(lines);
  }
  // The version that holds the namespace's state now.
  uint64_t Captured() {
    VersionHeader h;
    Status s = rec_->CaptureNow(Cause::kManual, {}, "", &h);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return h.version;
  }
  // Stores 20 routes (the good version), deletes `dst`, one of them, and stores that (bad).
  struct GoodAndBad {
    uint64_t good, bad;
  };
  GoodAndBad LoseOneOfTwenty(const std::string& dst) {
    Routes(0, 20, "proto static");
    uint64_t good = Captured();
    Batch({"route del " + dst});
    return {good, Captured()};
  }
  Snapshot Live() {
    Snapshot s;
    EXPECT_TRUE(rec_->source()->ReadLive(&s).ok());
    return s;
  }
  Snapshot Version(uint64_t v) {
    Snapshot s;
    EXPECT_TRUE(daemon_->store()->Reconstruct("k", v, &s).ok());
    return s;
  }
  Rollback Roll(RollbackRequest req, Status* status = nullptr) {
    req.source = "k";
    req.actor = "test";
    Rollback rb;
    Status s = rm_->Submit(req, &rb);
    if (status) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return rb;
  }
  int CountRoutes(const Snapshot& s, const std::string& table_arg) {
    std::string out;
    ns_.Ip("route show " + table_arg, &out);
    (void)s;
    return static_cast<int>(std::count(out.begin(), out.end(), '\n'));
  }
  template <typename F>
  bool WaitFor(F cond, int seconds = 20) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return cond();
  }

  NetNs ns_;
  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  Recorder* rec_ = nullptr;
  std::unique_ptr<RollbackManager> rm_;
};

TEST_F(RollbackTest, PutsBackDeletedAndOverwrittenRoutes) {
  Routes(0, 300, "proto static");
  Routes(300, 100, "table 100 proto static");
  uint64_t good = Captured();
  // A careless job: deletes 40 routes and re-points 20.
  std::vector<std::string> damage;
  for (int i = 0; i < 40; ++i) damage.push_back("route del 10.100." + std::to_string(i) + ".0/24");
  for (int i = 50; i < 70; ++i) {
    damage.push_back("route replace 10.100." + std::to_string(i) +
                     ".0/24 via 10.99.0.9 dev a0 proto static");
  }
  Batch(damage);
  ASSERT_NE(Captured(), good);
  ASSERT_FALSE(Live().hash() == Version(good).hash());

  Rollback rb = Roll(To(std::to_string(good)));
  EXPECT_EQ(RollbackStateName(rb.state), "applied") << rb.error;
  EXPECT_EQ(rb.adds, 40u);
  EXPECT_EQ(rb.replaces, 20u);
  EXPECT_EQ(rb.removes, 0u);
  EXPECT_TRUE(Live().hash() == Version(good).hash());
  // The result is history too: a new version with cause rollback equal to the target.
  VersionHeader post;
  ASSERT_TRUE(daemon_->store()->Header("k", rb.post_version, &post).ok());
  EXPECT_EQ(post.cause, Cause::kRollback);
  EXPECT_TRUE(post.hash == Version(good).hash());
  Rollback again;
  ASSERT_TRUE(rm_->Get(rb.id, &again).ok());
  EXPECT_EQ(RollbackStateName(again.state), "applied");
  EXPECT_GT(rb.total_ms, 0);
  EXPECT_EQ(again.total_ms, rb.total_ms) << "timings survive the journal";
  EXPECT_EQ(again.apply_ms, rb.apply_ms);
}

TEST_F(RollbackTest, AfterATableFlushAndWithIpv6MultipathAndRules) {
  Routes(0, 50, "table 100 proto static");
  Batch({"route add 2001:db8:1::/48 via fd00:99::2 dev a0 proto static",
         "route add 10.200.0.0/16 proto static nexthop via 10.99.0.3 dev a0 weight 1 "
         "nexthop via 10.99.0.4 dev a0 weight 3",
         "rule add from 10.99.0.0/24 table 100 priority 1000",
         "rule add fwmark 0x20 table 100 priority 1001"});
  uint64_t good = Captured();
  Batch({"route flush table 100", "route del 2001:db8:1::/48", "route del 10.200.0.0/16",
         "rule del priority 1000"});
  ASSERT_NE(Captured(), good);
  Rollback rb = Roll(To("v" + std::to_string(good)));
  EXPECT_EQ(RollbackStateName(rb.state), "applied") << rb.error;
  EXPECT_TRUE(Live().hash() == Version(good).hash());
  std::string rules;
  ns_.Ip("rule show", &rules);
  EXPECT_NE(rules.find("1000:"), std::string::npos) << rules;
}

TEST_F(RollbackTest, ScopedRollbackTouchesOnlyItsScope) {
  Routes(0, 20, "table 100 proto static");
  Routes(20, 20, "table 200 proto static");
  uint64_t good = Captured();
  Batch({"route del 10.100.1.0/24 table 100", "route del 10.100.21.0/24 table 200"});
  Captured();
  RollbackRequest req = To(std::to_string(good));
  req.scope.tables = {100};
  Rollback rb = Roll(req);
  EXPECT_EQ(RollbackStateName(rb.state), "applied") << rb.error;
  EXPECT_EQ(rb.adds, 1u);
  std::string out;
  ns_.Ip("route show table 100 10.100.1.0/24", &out);
  EXPECT_NE(out.find("10.100.1.0/24"), std::string::npos);
  out.clear();
  ns_.Ip("route show table 200 10.100.21.0/24", &out);
  EXPECT_EQ(out.find("10.100.21.0/24"), std::string::npos) << "outside the scope: stays deleted";
}

TEST_F(RollbackTest, GuardRefusesAStaleStateUnlessForcedWithAReason) {
  Routes(0, 10, "proto static");
  uint64_t small = Captured();
  Routes(10, 90, "proto static");
  uint64_t big = Captured();
  RollbackRequest req = To(std::to_string(small));
  Status s;
  Roll(req, &s);
  EXPECT_EQ(s.code(), Status::Code::kRefused) << s.ToString();
  EXPECT_NE(s.message().find("table main: "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("(90 fewer, more than 25% and at least 10)"), std::string::npos)
      << s.message();
  EXPECT_TRUE(Live().hash() == Version(big).hash()) << "a refused rollback changes nothing";
  req.force = true;
  Roll(req, &s);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << "force needs a reason";
  req.reason = "decommissioning";
  Rollback rb = Roll(req);
  EXPECT_EQ(RollbackStateName(rb.state), "applied") << rb.error;
  EXPECT_TRUE(Live().hash() == Version(small).hash());
}

// A 1,000-route table rolled back to 700 of them shrinks; to 1,000 other routes it only churns.
TEST_F(RollbackTest, GuardRefusesShrinkButNotChurnOfALargeTable) {
  Routes(0, 700, "proto static");
  uint64_t seven_hundred = Captured();
  Routes(700, 300, "proto static");
  uint64_t thousand = Captured();
  Status s;
  Roll(To(std::to_string(seven_hundred)), &s);
  EXPECT_EQ(s.code(), Status::Code::kRefused) << s.ToString();
  EXPECT_NE(s.message().find(" -> "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("(300 fewer"), std::string::npos) << s.message();
  EXPECT_TRUE(Live().hash() == Version(thousand).hash()) << "a refused rollback changes nothing";
  // Replace all 1,000 by 1,000 others, then roll back: every route differs, none is shrink.
  ns_.Ip("route flush proto static");
  Routes(1000, 1000, "proto static");
  Captured();
  Rollback rb = Roll(To(std::to_string(thousand)));
  EXPECT_EQ(RollbackStateName(rb.state), "applied") << rb.error;
  EXPECT_EQ(rb.removes, 1000u);
  EXPECT_TRUE(Live().hash() == Version(thousand).hash());
}

TEST_F(RollbackTest, DryRunPlansAndChangesNothing) {
  Routes(0, 30, "proto static");
  uint64_t good = Captured();
  Batch({"route del 10.100.3.0/24"});
  uint64_t bad = Captured();
  Rollback rb = Roll(DryRun(To(std::to_string(good))));
  EXPECT_EQ(RollbackStateName(rb.state), "planned");
  EXPECT_EQ(rb.adds, 1u);
  ASSERT_EQ(rb.add.size(), 1u);
  EXPECT_TRUE(Live().hash() == Version(bad).hash());
}

TEST_F(RollbackTest, AConfirmWindowRevertsWhenNobodyConfirms) {
  auto [good, bad] = LoseOneOfTwenty("10.100.5.0/24");
  RollbackRequest req = To(std::to_string(good));
  req.confirm_within_ns = 1'000'000'000;
  Rollback rb = Roll(req);
  EXPECT_EQ(RollbackStateName(rb.state), "awaiting_confirmation");
  EXPECT_TRUE(Live().hash() == Version(good).hash());
  ASSERT_TRUE(WaitFor([&] {
    Rollback r;
    return rm_->Get(rb.id, &r).ok() && r.state == RollbackState::kReverted;
  }));
  EXPECT_TRUE(Live().hash() == Version(bad).hash());

  // Confirmed in time, it stays.
  rb = Roll(req);
  Rollback confirmed;
  ASSERT_TRUE(rm_->Confirm(rb.id, "test", &confirmed).ok());
  EXPECT_EQ(RollbackStateName(confirmed.state), "confirmed");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(Live().hash() == Version(good).hash());
}

// The confirm window runs on the monotonic clock of the injected clock: a wall-clock step
// forward past the deadline does not end it, one back does not extend it; the rollback is
// reverted when the monotonic clock reaches the deadline and not a nanosecond before. The
// journal keeps the wall-clock deadline, for display and for a restart.
TEST_F(RollbackTest, AConfirmDeadlineRunsOnTheMonotonicClock) {
  Stop();
  TestClock clock(NowNs());
  RollbackOptions o;
  o.probe_interval_ns = 1'000'000'000;  // the deadline thread looks every second of `clock`
  Start(o, &clock);
  Routes(0, 20, "proto static");
  uint64_t good = Captured();
  Batch({"route del 10.100.9.0/24"});
  uint64_t bad = Captured();
  RollbackRequest req = To(std::to_string(good));
  constexpr int64_t kWindow = 60'000'000'000;
  req.confirm_within_ns = kWindow;
  Rollback rb = Roll(req);
  ASSERT_EQ(RollbackStateName(rb.state), "awaiting_confirmation");
  EXPECT_EQ(rb.deadline_ns, clock.NowNs() + kWindow);
  auto state = [&] {
    Rollback r;
    EXPECT_TRUE(rm_->Get(rb.id, &r).ok());
    return RollbackStateName(r.state);
  };

  clock.StepWall(2 * 3600LL * 1000000000);  // past the deadline, on the wall clock
  uint64_t waits = clock.waits();
  clock.Advance(kWindow - 1);
  // The deadline thread woke, looked at the deadline and went back to waiting.
  ASSERT_TRUE(clock.AwaitWaits(waits + 1, std::chrono::seconds(20)));
  EXPECT_EQ(state(), "awaiting_confirmation");
  EXPECT_TRUE(Live().hash() == Version(good).hash());

  clock.StepWall(-4 * 3600LL * 1000000000);  // two hours before the deadline, on the wall clock
  clock.Advance(1);
  EXPECT_TRUE(WaitFor([&] { return state() == "reverted"; }));
  EXPECT_TRUE(Live().hash() == Version(bad).hash());
  Stop();  // the manager's deadline thread waits on `clock`: stop it before `clock` goes
}

TEST_F(RollbackTest, ADeadlineSurvivesARestart) {
  auto [good, bad] = LoseOneOfTwenty("10.100.7.0/24");
  RollbackRequest req = To(std::to_string(good));
  req.confirm_within_ns = 2'000'000'000;
  Rollback rb = Roll(req);
  ASSERT_EQ(RollbackStateName(rb.state), "awaiting_confirmation");
  Stop();
  Start();
  ASSERT_TRUE(WaitFor([&] {
    Rollback r;
    return rm_->Get(rb.id, &r).ok() && r.state == RollbackState::kReverted;
  }));
  EXPECT_TRUE(Live().hash() == Version(bad).hash());
}

TEST_F(RollbackTest, ProbesConfirmWhenTheyPassAndRevertWhenTheyFail) {
  uint64_t good = LoseOneOfTwenty("10.100.9.0/24").good;
  RollbackRequest req = To(std::to_string(good));
  req.confirm_within_ns = 3'000'000'000;
  req.probes = {{"gateway", "10.99.0.2"}};  // b0 in the namespace answers
  Rollback rb = Roll(req);
  ASSERT_TRUE(WaitFor([&] {
    Rollback r;
    return rm_->Get(rb.id, &r).ok() && r.state == RollbackState::kConfirmed;
  }));

  // A listener that passes the probe before the change and is gone after it.
  uint16_t port = 0;
  int server = ns_.Socket(SOCK_STREAM, "10.99.0.2", &port);
  ASSERT_GE(server, 0);
  Stop();
  RollbackOptions o;
  o.before_apply = [&] {
    if (server >= 0) close(server);
    server = -1;
  };
  Start(std::move(o));
  Batch({"route del 10.100.9.0/24"});
  uint64_t bad = Captured();
  req.probes = {{"tcp", "10.99.0.2:" + std::to_string(port)}};
  rb = Roll(req);
  EXPECT_EQ(rb.probe_failed_before, std::vector<bool>{false});
  ASSERT_TRUE(WaitFor([&] {
    Rollback r;
    return rm_->Get(rb.id, &r).ok() && r.state == RollbackState::kReverted;
  }));
  EXPECT_TRUE(Live().hash() == Version(bad).hash());
}

// A probe that already failed before the change is reported and does not decide: the rollback
// is confirmed by the probe that passes.
TEST_F(RollbackTest, ProbesFailingBeforeTheChangeAreReportedAndNotRequired) {
  uint64_t good = LoseOneOfTwenty("10.100.9.0/24").good;
  RollbackRequest req = To(std::to_string(good));
  req.confirm_within_ns = 3'000'000'000;
  req.probes = {{"gateway", "10.99.0.2"}, {"tcp", "10.99.0.1:9"}};  // nothing listens on :9
  Rollback rb = Roll(req);
  EXPECT_EQ(rb.probe_failed_before, (std::vector<bool>{false, true}));
  Rollback r;
  ASSERT_TRUE(WaitFor([&] { return rm_->Get(rb.id, &r).ok() && r.finished(); }));
  EXPECT_EQ(RollbackStateName(r.state), "confirmed") << r.error;
  EXPECT_EQ(r.probe_failed_before, (std::vector<bool>{false, true})) << "journalled";
  EXPECT_TRUE(Live().hash() == Version(good).hash());
  std::string shown = boost::json::serialize(RollbackToJson(r));
  EXPECT_NE(shown.find(R"("target":"10.99.0.1:9","failed_before":true)"), std::string::npos)
      << shown;
}

TEST_F(RollbackTest, AChangeBetweenPlanAndApplyIsNotLost) {
  Stop();
  int calls = 0;
  RollbackOptions o;
  o.before_apply = [&] {
    if (calls++ == 0) ns_.Ip("route add 10.77.0.0/16 via 10.99.0.3 dev a0 proto static");
  };
  Start(o);
  uint64_t good = LoseOneOfTwenty("10.100.2.0/24").good;
  Rollback rb = Roll(To(std::to_string(good)));
  EXPECT_EQ(RollbackStateName(rb.state), "applied") << rb.error;
  EXPECT_GE(rb.replans, 1u);
  EXPECT_TRUE(Live().hash() == Version(good).hash());

  calls = 0;
  Batch({"route del 10.100.2.0/24"});
  Captured();
  Status s;
  Roll(IfUnchanged(To(std::to_string(good))), &s);
  EXPECT_EQ(s.code(), Status::Code::kConflict) << s.ToString();
}

TEST_F(RollbackTest, OneRollbackAtATimePerSource) {
  // The first rollback is held inside its apply (before_apply) while a second is submitted.
  Stop();
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, release = false;
  RollbackOptions o;
  o.before_apply = [&] {
    std::unique_lock l(mu);
    inside = true;
    cv.notify_all();
    cv.wait(l, [&] { return release; });
  };
  Start(o);
  uint64_t good = LoseOneOfTwenty("10.100.4.0/24").good;
  Rollback first;
  Status first_status;
  std::thread t([&] { first = Roll(To(std::to_string(good)), &first_status); });
  {
    std::unique_lock l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(30), [&] { return inside; }));
  }
  Status s;
  Roll(To(std::to_string(good)), &s);
  EXPECT_EQ(s.code(), Status::Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("already running"), std::string::npos) << s.message();
  {
    std::lock_guard l(mu);
    release = true;
  }
  cv.notify_all();
  t.join();
  ASSERT_TRUE(first_status.ok()) << first_status.ToString();
  EXPECT_EQ(RollbackStateName(first.state), "applied") << first.error;
  EXPECT_TRUE(Live().hash() == Version(good).hash());
  // Once it is done, the next one runs.
  Batch({"route del 10.100.4.0/24"});
  Captured();
  Roll(To(std::to_string(good)), &s);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(RollbackTest, BadVersionsAreRefused) {
  Status s;
  Roll(To("v99999"), &s);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  Roll(To("yesterday-ish"), &s);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
}

TEST_F(RollbackTest, IdempotencyKeysBindToThePrincipalAndTheRequest) {
  uint64_t good = LoseOneOfTwenty("10.100.4.0/24").good;
  RollbackRequest req = DryRun(To(std::to_string(good)));
  req.idempotency_key = "abc";
  req.principal = "alice";
  Rollback a = Roll(req);
  Rollback again = Roll(req);
  EXPECT_EQ(a.id, again.id);
  EXPECT_EQ(RollbackStateName(again.state), "planned");

  // The same key with another body (a real rollback instead of the dry run): refused, and
  // nothing is applied.
  RollbackRequest real = req;
  real.dry_run = false;
  Status s;
  Roll(real, &s);
  EXPECT_TRUE(IsIdempotencyMismatch(s)) << s.ToString();
  EXPECT_FALSE(Live().hash() == Version(good).hash());
  real.reason = "another reason";
  real.dry_run = true;
  Roll(real, &s);
  EXPECT_TRUE(IsIdempotencyMismatch(s)) << s.ToString();

  // Another principal's "abc" is another key.
  RollbackRequest bob = req;
  bob.principal = "bob";
  Rollback b = Roll(bob);
  EXPECT_NE(b.id, a.id);
  EXPECT_EQ(Roll(bob).id, b.id);

  // Keys expire after 24 hours: listed, removed, and then the key is free for a new request.
  std::vector<std::string> expired;
  ASSERT_TRUE(RollbackJournal::ExpiredKeys(daemon_->store(), NowNs(), &expired).ok());
  EXPECT_TRUE(expired.empty());
  ASSERT_TRUE(
      RollbackJournal::ExpiredKeys(daemon_->store(), NowNs() + kIdempotencyTtlNs, &expired).ok());
  EXPECT_EQ(expired.size(), 2u);
  size_t removed = 0;
  ASSERT_TRUE(
      RollbackJournal::RemoveExpiredKeys(daemon_->store(), NowNs() + kIdempotencyTtlNs, &removed)
          .ok());
  EXPECT_EQ(removed, 2u);
  Rollback fresh = Roll(real);
  EXPECT_NE(fresh.id, a.id);
}

TEST_F(RollbackTest, MoreThanSixteenProbesAreRefused) {
  Routes(0, 5, "proto static");
  uint64_t good = Captured();
  RollbackRequest req = To(std::to_string(good));
  req.confirm_within_ns = 1'000'000'000;
  req.probes.assign(kMaxProbes + 1, Probe{"tcp", "10.99.0.2:9"});
  Status s;
  Roll(req, &s);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("at most 16"), std::string::npos) << s.message();
}

// Probes run on a worker of their own: while one rollback's 16 slow probes run (DNS queries to
// a socket of the test that never answers, a second each), another rollback's deadline passes
// and it is reverted before the probe round is over.
TEST_F(RollbackTest, ASlowProbeDoesNotDelayAnotherDeadline) {
  uint16_t port = 0;
  int server = ns_.Socket(SOCK_DGRAM | SOCK_NONBLOCK, "10.99.0.2", &port);
  ASSERT_GE(server, 0);
  std::string target = "ok.example@10.99.0.2:" + std::to_string(port);
  int queries = 0;
  auto count = [&] {
    char buf[512];
    while (recv(server, buf, sizeof buf, 0) > 0) ++queries;
    return queries;
  };

  // Before the change the server answers, so the probes pass there and decide afterwards.
  std::atomic<bool> answering = true;
  std::thread answerer([&] {
    while (answering) {
      unsigned char q[512];
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(server, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 12) {
        std::this_thread::yield();
        continue;
      }
      std::string a(reinterpret_cast<char*>(q), n);
      a[2] = static_cast<char>(0x81), a[3] = static_cast<char>(0x80);  // response, no error
      a[7] = 1;                                                        // one answer
      a += std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x01\x02\x03", 16);
      sendto(server, a.data(), a.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
    }
  });
  Stop();
  RollbackOptions o;
  o.before_apply = [&] { answering = false; };
  Start(std::move(o));
  uint64_t good = LoseOneOfTwenty("10.100.1.0/24").good;
  RollbackRequest slow = To(std::to_string(good));
  slow.confirm_within_ns = 600'000'000'000;
  slow.probes.assign(kMaxProbes, Probe{"dns", target});
  Rollback a = Roll(slow);
  answerer.join();
  ASSERT_EQ(a.probe_failed_before, std::vector<bool>(kMaxProbes, false));
  int before = count();
  ASSERT_TRUE(WaitFor([&] { return count() > before; }));  // its probe round has begun

  Batch({"route del 10.100.2.0/24"});
  Captured();
  RollbackRequest quick = To(std::to_string(good));
  quick.confirm_within_ns = 1'000'000;
  Rollback b = Roll(quick);
  Rollback r;
  ASSERT_TRUE(WaitFor([&] { return rm_->Get(b.id, &r).ok() && r.finished(); }, 60));
  EXPECT_EQ(RollbackStateName(r.state), "reverted") << r.error;
  // Reverted while the other round had not even sent all its queries.
  EXPECT_LT(count() - before, static_cast<int>(kMaxProbes));
  ASSERT_TRUE(rm_->Get(a.id, &r).ok());
  EXPECT_EQ(RollbackStateName(r.state), "awaiting_confirmation");
  close(server);
}

// Confirm, cancel and the deadline race for one rollback, round after round: exactly one
// wins, the others see Conflict with the state that won, and the namespace ends as the winner
// says.
TEST_F(RollbackTest, ConfirmCancelAndTheDeadlineRaceAndExactlyOneWins) {
  Stop();
  RollbackOptions o;
  o.probe_interval_ns = 2'000'000;  // the deadline thread looks every 2 ms
  Start(o);
  Routes(0, 40, "proto static");
  uint64_t good = Captured();
  std::map<std::string, int> winners;
  for (int round = 0; round < 24; ++round) {
    Batch({"route del 10.100." + std::to_string(round) + ".0/24"});
    Captured();
    RollbackRequest req = To(std::to_string(good));
    // Some windows close about when confirm and cancel arrive, some long after.
    req.confirm_within_ns = round % 3 == 0 ? 1'000'000 : (round % 3 == 1 ? 20'000'000 : 60e9);
    Rollback rb = Roll(req);
    if (rb.state != RollbackState::kAwaitingConfirmation) {
      ASSERT_EQ(rb.state, RollbackState::kAwaitingConfirmation) << RollbackStateName(rb.state);
    }
    std::atomic<bool> go{false};
    Rollback confirmed, cancelled;
    Status confirm_status, cancel_status;
    std::thread c([&] {
      while (!go) std::this_thread::yield();
      confirm_status = rm_->Confirm(rb.id, "tester", &confirmed);
    });
    std::thread x([&] {
      while (!go) std::this_thread::yield();
      cancel_status = rm_->Cancel(rb.id, "tester", &cancelled);
    });
    go = true;
    c.join();
    x.join();
    Rollback final;
    ASSERT_TRUE(WaitFor([&] { return rm_->Get(rb.id, &final).ok() && final.finished(); }));
    EXPECT_FALSE(confirm_status.ok() && cancel_status.ok()) << "round " << round;
    for (auto [st, seen] : {std::pair{&confirm_status, &confirmed}, {&cancel_status, &cancelled}}) {
      if (st->ok()) continue;
      EXPECT_EQ(st->code(), Status::Code::kConflict) << st->ToString();
      // The loser is told the state it lost to, never "awaiting_confirmation".
      EXPECT_NE(seen->state, RollbackState::kAwaitingConfirmation) << st->ToString();
      EXPECT_NE(st->message().find(std::string(RollbackStateName(seen->state))), std::string::npos)
          << st->ToString();
    }
    std::string winner = confirm_status.ok()  ? "confirm"
                         : cancel_status.ok() ? "cancel"
                                              : "deadline";
    ++winners[winner];
    Snapshot live = Live();
    if (winner == "confirm") {
      EXPECT_EQ(RollbackStateName(final.state), "confirmed") << round;
      EXPECT_TRUE(live.hash() == Version(good).hash()) << round;
    } else {
      EXPECT_EQ(RollbackStateName(final.state), "reverted") << round << " " << final.error;
      EXPECT_TRUE(live.hash() == Version(final.pre_version).hash()) << round;
      if (winner == "cancel") {
        EXPECT_NE(final.error.find("cancelled by tester"), std::string::npos) << final.error;
      }
    }
  }
  for (const auto& [w, n] : winners) std::printf("%s won %d rounds\n", w.c_str(), n);
}

// A journal left `applying` by a crash after the change took, for a rollback with a
// confirmation window: the restart finds the change in place, and instead of keeping it
// (state applied) it awaits confirmation until the journalled deadline; one whose deadline
// passed meanwhile is reverted.
TEST_F(RollbackTest, ARestartAfterApplyingReArmsTheConfirmWindow) {
  auto [good, bad] = LoseOneOfTwenty("10.100.6.0/24");
  Batch({"route add 10.100.6.0/24 via 10.99.0.4 dev a0 proto static"});  // "applied"
  uint64_t applied = Captured();
  ASSERT_TRUE(Version(applied).hash() == Version(good).hash());
  auto journal = [&](const std::string& id, int64_t deadline_ns) {
    Rollback rb;
    rb.id = id;
    rb.source = rb.request.source = "k";
    rb.request.to = std::to_string(good);
    rb.request.confirm_within_ns = 60'000'000'000;
    rb.state = RollbackState::kApplying;
    rb.target_version = good;
    rb.pre_version = bad;
    rb.created_ns = rb.updated_ns = NowNs();
    rb.deadline_ns = deadline_ns;
    // The journal's key: "rollback/" and the id padded to 12 digits.
    std::string key = "rollback/" + std::string(12 - id.size(), '0') + id;
    ASSERT_TRUE(daemon_->store()->PutMeta(key, EncodeRollback(rb)).ok());
  };
  rm_->Stop();
  int64_t later = NowNs() + 3600'000'000'000;
  journal("7", later);
  rm_ = std::make_unique<RollbackManager>(RollbackDeps::Of(daemon_.get()));
  ASSERT_TRUE(rm_->Start().ok());
  Rollback r;
  ASSERT_TRUE(rm_->Get("7", &r).ok());
  EXPECT_EQ(RollbackStateName(r.state), "awaiting_confirmation") << r.error;
  EXPECT_EQ(r.deadline_ns, later);
  EXPECT_TRUE(Live().hash() == Version(good).hash());
  // Confirmation works as for any rollback awaiting it; new ids do not reuse journalled ones.
  ASSERT_TRUE(rm_->Confirm("7", "test", &r).ok());

  // The same with a deadline that passed while the daemon was down: reverted.
  rm_->Stop();
  journal("8", NowNs() - 1);
  rm_ = std::make_unique<RollbackManager>(RollbackDeps::Of(daemon_.get()));
  ASSERT_TRUE(rm_->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return rm_->Get("8", &r).ok() && r.finished(); }));
  EXPECT_EQ(RollbackStateName(r.state), "reverted") << r.error;
  EXPECT_TRUE(Live().hash() == Version(bad).hash());
  Batch({"route add 10.100.6.0/24 via 10.99.0.4 dev a0 proto static"});
  Captured();
  Rollback next = Roll(DryRun(To(std::to_string(good))));
  EXPECT_EQ(next.id, "9");
}

// The manager runs in a child that is killed (SIGKILL) while its rollback awaits
// confirmation; a manager started on the same store keeps the deadline and reverts the
// rollback when it passes.
TEST_F(RollbackTest, ACrashDuringTheConfirmWindowKeepsTheDeadline) {
  auto [good, bad] = LoseOneOfTwenty("10.100.8.0/24");
  Stop();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    Start();
    RollbackRequest req = To(std::to_string(good));
    req.confirm_within_ns = 3'000'000'000;
    Rollback rb = Roll(req);
    std::string line = rb.id + " " + std::to_string(rb.deadline_ns) + " " +
                       std::string(RollbackStateName(rb.state)) + "\n";
    if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(2);
    pause();  // until killed
    _exit(0);
  }
  close(fds[1]);
  char buf[256] = {};
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(fds[0]);
  ASSERT_GT(n, 0);
  std::string id, state;
  int64_t deadline = 0;
  std::istringstream(buf) >> id >> deadline >> state;
  ASSERT_EQ(state, "awaiting_confirmation");

  Start();
  EXPECT_TRUE(Live().hash() == Version(good).hash()) << "the change is in place after the crash";
  Rollback r;
  ASSERT_TRUE(rm_->Get(id, &r).ok());
  EXPECT_EQ(r.deadline_ns, deadline);
  ASSERT_TRUE(WaitFor([&] { return rm_->Get(id, &r).ok() && r.finished(); }));
  EXPECT_EQ(RollbackStateName(r.state), "reverted") << r.error;
  EXPECT_NE(r.error.find("not confirmed within the deadline"), std::string::npos) << r.error;
  EXPECT_GE(NowNs(), deadline);
  EXPECT_TRUE(Live().hash() == Version(bad).hash());
}

}  // namespace
}  // namespace netsnap
