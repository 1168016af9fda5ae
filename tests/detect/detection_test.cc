// Detection with a real daemon over resolver sources in temp folders (no namespaces needed):
// alert-only policies, the restore cap, run-time policy and pause, and the webhook.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "core/config.h"
#include "e2e_env.h"
#include "http_server.h"
#include "netns.h"
#include "netsnap/time.h"

namespace netsnap::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kOriginal = "nameserver 10.0.0.1\nsearch corp.example\n";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A resolver source "r" over a resolv.conf in env's temp folder, with `policy` lines.
std::string ResolverSetup(DetectEnv* env, const std::string& policy) {
  std::string path = env->dir().Sub("resolv.conf");
  std::ofstream(path, std::ios::binary) << kOriginal;
  return "[[source]]\nname = \"r\"\nkind = \"resolver\"\nformat = \"resolv.conf\"\npath = \"" +
         path + "\"\n[[policy]]\nsource = \"r\"\n" + policy;
}

void Rewrite(DetectEnv* env, const std::string& text) {
  std::string tmp = env->dir().Sub("resolv.conf.new");
  std::ofstream(tmp, std::ios::binary) << text;
  std::rename(tmp.c_str(), env->dir().Sub("resolv.conf").c_str());
}

uint64_t Latest(DetectEnv* env) { return env->daemon()->FindSource("r")->state().latest.version; }

// The barrier after a change: r stored a version after `before`, and detection inspected it.
bool Inspected(DetectEnv* env, uint64_t before) {
  return Eventually([&] { return Latest(env) > before; }, seconds(20)) &&
         env->detection()->WaitIdle(seconds(10));
}

int Count(DetectEnv* env, const std::string& type) {
  return static_cast<int>(env->Events(type).size());
}

TEST(Detection, AlertOnlyRaisesAnEventAndChangesNothing) {
  DetectEnv env;
  ASSERT_TRUE(env.Start(ResolverSetup(&env, "action = \"alert\"\nsettle_ms = 50\n")).ok());
  Rewrite(&env, "nameserver 10.6.6.6\n");
  StoredEvent ev;
  ASSERT_TRUE(env.WaitForEvent(
      "detection", [](const StoredEvent&) { return true; }, seconds(20), &ev));
  EXPECT_EQ(Fields(ev)["action"], "alert");
  // Alert only: once the version is inspected nothing else can follow from it.
  ASSERT_TRUE(env.detection()->WaitIdle(seconds(10)));
  EXPECT_EQ(ReadFile(env.dir().Sub("resolv.conf")), "nameserver 10.6.6.6\n");
  EXPECT_EQ(Count(&env, "restore"), 0);
  EXPECT_GE(env.daemon()->metrics()->Get("netsnap_detections_total",
                                         {{"source", "r"}, {"kind", "overwrite"}}),
            1);
}

TEST(Detection, RestoresStopAtTheHourlyCap) {
  DetectEnv env;
  ASSERT_TRUE(env.Start(ResolverSetup(&env,
                                      "action = \"restore\"\nsettle_ms = 50\ncooldown_s = 0\n"
                                      "max_restores_per_hour = 2\nconflict_repeats = 100\n"))
                  .ok());
  std::string path = env.dir().Sub("resolv.conf");
  for (int i = 0; i < 2; ++i) {
    Rewrite(&env, "nameserver 10.6.6." + std::to_string(i) + "\n");
    ASSERT_TRUE(Eventually([&] { return Count(&env, "restore") == i + 1; }, seconds(20)));
    ASSERT_TRUE(Eventually([&] { return ReadFile(path) == kOriginal; }, seconds(20)));
  }
  Rewrite(&env, "nameserver 10.6.6.9\n");
  StoredEvent conflict;
  ASSERT_TRUE(env.WaitForEvent(
      "conflict", [](const StoredEvent&) { return true; }, seconds(20), &conflict));
  EXPECT_NE(Fields(conflict)["reason"].as_string().find("cap of 2"), std::string::npos)
      << conflict.json;
  // The conflict stands in for the third restore: once inspection is idle, none is pending.
  ASSERT_TRUE(env.detection()->WaitIdle(seconds(10)));
  EXPECT_EQ(Count(&env, "restore"), 2);
  EXPECT_EQ(ReadFile(path), "nameserver 10.6.6.9\n");
  // Resume clears the conflict: the next damage is restored again, to the state before it.
  ASSERT_TRUE(env.detection()->Resume("r").ok());
  Rewrite(&env, "nameserver 10.6.6.10\n");
  EXPECT_TRUE(Eventually([&] { return ReadFile(path) == "nameserver 10.6.6.9\n"; }, seconds(20)));
}

TEST(Detection, PolicyAtRunTime) {
  DetectEnv env;
  ASSERT_TRUE(env.Start(ResolverSetup(&env, "action = \"alert\"\n")).ok());
  Detection* d = env.detection();
  boost::json::object p;
  ASSERT_TRUE(d->GetPolicy("r", &p).ok());
  EXPECT_EQ(p["action"], "alert");
  EXPECT_EQ(p["source"], "r");
  EXPECT_FALSE(p["state"].as_object()["paused"].as_bool());
  EXPECT_EQ(d->GetPolicy("nope", &p).code(), Status::Code::kNotFound);

  boost::json::value bad = boost::json::parse(R"({"action": "restore", "settle_ms": "soon"})");
  Status s = d->SetPolicy("r", bad, &p);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("settle_ms"), std::string::npos);
  EXPECT_EQ(d->SetPolicy("r", boost::json::parse(R"({"colour": "red"})"), &p).code(),
            Status::Code::kInvalidArgument);

  // A GET → PUT round trip, with the change.
  ASSERT_TRUE(d->GetPolicy("r", &p).ok());
  p["action"] = "restore";
  p["settle_ms"] = 50;
  boost::json::object out;
  ASSERT_TRUE(d->SetPolicy("r", p, &out).ok());
  EXPECT_EQ(out["action"], "restore");
  Rewrite(&env, "nameserver 10.6.6.6\n");
  EXPECT_TRUE(
      Eventually([&] { return ReadFile(env.dir().Sub("resolv.conf")) == kOriginal; }, seconds(20)));
}

TEST(Detection, PauseValidatesAndExpires) {
  DetectEnv env;
  ASSERT_TRUE(env.Start(ResolverSetup(&env, "action = \"restore\"\nsettle_ms = 50\n")).ok());
  Detection* d = env.detection();
  EXPECT_EQ(d->Pause("r", -1, "x", "t").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(d->Pause("r", 8LL * 86400 * 1000000000, "x", "t").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(d->Pause("nope", 1000, "x", "t").code(), Status::Code::kNotFound);
  ASSERT_TRUE(d->Pause("r", 400LL * 1000000, "planned", "t").ok());
  boost::json::object p;
  ASSERT_TRUE(d->GetPolicy("r", &p).ok());
  EXPECT_TRUE(p["state"].as_object()["paused"].as_bool());
  EXPECT_EQ(p["state"].as_object()["pause_reason"], "planned");
  std::string path = env.dir().Sub("resolv.conf");
  uint64_t before = Latest(&env);
  Rewrite(&env, "nameserver 10.1.1.1\n");  // the planned change
  ASSERT_TRUE(Inspected(&env, before));
  EXPECT_EQ(Count(&env, "detection"), 0);
  ASSERT_TRUE(Eventually(
      [&] { return d->GetPolicy("r", &p).ok() && !p["state"].as_object()["paused"].as_bool(); },
      seconds(10)));  // the pause is over
  Rewrite(&env, "nameserver 10.6.6.6\n");
  EXPECT_TRUE(env.WaitForEvent(
      "detection_resume",
      [](const StoredEvent& e) { return Fields(e)["reason"] == "the pause expired"; },
      seconds(20)));
  // Put back as it was after the planned change.
  EXPECT_TRUE(Eventually([&] { return ReadFile(path) == "nameserver 10.1.1.1\n"; }, seconds(20)));
}

// Damage to r after the last version: true once detection inspected it.
bool Damage(DetectEnv* env, const std::string& text) {
  uint64_t before = Latest(env);
  Rewrite(env, text);
  return Inspected(env, before);
}

bool Paused(Detection* d) {
  boost::json::object p;
  return d->GetPolicy("r", &p).ok() && p["state"].as_object()["paused"].as_bool();
}

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kHour = 3600 * kS;

// A pause ends when detection's monotonic clock reaches its end, not a nanosecond before,
// whatever the wall clock does meanwhile; the end shown stays the wall-clock end it was given.
TEST(Detection, APauseEndsOnTheMonotonicClockOnly) {
  TestClock clock(NowNs());
  DetectEnv env;
  ASSERT_TRUE(env.Start(ResolverSetup(&env, "action = \"alert\"\n"), &clock).ok());
  Detection* d = env.detection();
  const int64_t until = clock.NowNs() + 60 * kS;
  ASSERT_TRUE(d->Pause("r", 60 * kS, "planned", "t").ok());
  boost::json::object p;
  ASSERT_TRUE(d->GetPolicy("r", &p).ok());
  EXPECT_EQ(p["state"].as_object()["paused_until"], boost::json::value(FormatTime(until)));

  clock.StepWall(2 * kHour);  // past its end on the wall clock
  EXPECT_TRUE(Paused(d));
  ASSERT_TRUE(Damage(&env, "nameserver 10.6.6.1\n"));
  EXPECT_EQ(Count(&env, "detection"), 0);
  clock.StepWall(-4 * kHour);
  clock.Advance(60 * kS - 1);
  EXPECT_TRUE(Paused(d));
  ASSERT_TRUE(Damage(&env, "nameserver 10.6.6.2\n"));
  EXPECT_EQ(Count(&env, "detection"), 0);
  EXPECT_EQ(Count(&env, "detection_resume"), 0);

  clock.Advance(1);
  EXPECT_FALSE(Paused(d));
  ASSERT_TRUE(Damage(&env, "nameserver 10.6.6.3\n"));
  EXPECT_GE(Count(&env, "detection"), 1);
  std::vector<StoredEvent> resumed = env.Events("detection_resume");
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(Fields(resumed[0])["reason"], "the pause expired");
}

// The cooldown between restores runs on the monotonic clock: with the second damage settled,
// the restorer waits for exactly cooldown_s after the first restore ended; a wall-clock step
// forward does not end the wait and one back does not extend it.
TEST(Detection, ACooldownRunsOnTheMonotonicClockOnly) {
  TestClock clock(NowNs());
  DetectEnv env;
  ASSERT_TRUE(env.Start(ResolverSetup(&env,
                                      "action = \"restore\"\nsettle_ms = 0\nsettle_max_ms = 0\n"
                                      "cooldown_s = 10\nconflict_repeats = 100\n"),
                        &clock)
                  .ok());
  std::string path = env.dir().Sub("resolv.conf");
  // No settle delay and no restore before: restored without the clock moving.
  Rewrite(&env, "nameserver 10.6.6.1\n");
  ASSERT_TRUE(Eventually([&] { return Count(&env, "restore") == 1; }, seconds(20)));
  ASSERT_TRUE(Eventually([&] { return ReadFile(path) == kOriginal; }, seconds(20)));
  const int64_t ended = clock.MonotonicNs();  // the clock has not moved since

  uint64_t waits = clock.waits();
  ASSERT_TRUE(Damage(&env, "nameserver 10.6.6.2\n"));
  ASSERT_TRUE(clock.AwaitWaits(waits + 1, seconds(20))) << "the restorer waits on the clock";
  EXPECT_EQ(clock.NextDeadline(), ended + 10 * kS);

  clock.StepWall(2 * kHour);
  waits = clock.waits();
  clock.Advance(10 * kS - 1);
  ASSERT_TRUE(clock.AwaitWaits(waits + 1, seconds(20))) << "woken early, it waits again";
  ASSERT_TRUE(env.detection()->WaitIdle(seconds(10)));
  EXPECT_EQ(Count(&env, "restore"), 1);
  EXPECT_EQ(ReadFile(path), "nameserver 10.6.6.2\n");

  clock.StepWall(-4 * kHour);
  clock.Advance(1);
  ASSERT_TRUE(Eventually([&] { return Count(&env, "restore") == 2; }, seconds(20)));
  EXPECT_TRUE(Eventually([&] { return ReadFile(path) == kOriginal; }, seconds(20)));
}

// A writer that keeps damaging is waited for, not fought (docs/detection.md, What a restore
// does): told once at settle_max_ms (`restore_waiting`), given up at the 600 s limit
// (`restore_abandoned`): nothing restored, no conflict. Damage comes every 55 s, within the
// 60 s settle delay, so the burst never settles.
TEST(Detection, AWriterStillDamagingAtTheLimitIsGivenUpNotFought) {
  TestClock clock(NowNs());
  DetectEnv env;
  ASSERT_TRUE(env.Start(ResolverSetup(&env,
                                      "action = \"restore\"\nsettle_ms = 60000\n"
                                      "settle_max_ms = 60000\ncooldown_s = 0\n"),
                        &clock)
                  .ok());
  static_assert(Restorer::kMaxSettleWaitNs == 600 * kS);
  ASSERT_TRUE(Damage(&env, "nameserver 10.7.7.0\n"));
  for (int i = 1; i <= 11; ++i) {  // 605 s in all
    clock.Advance(55 * kS);
    if (i == 2) {
      EXPECT_TRUE(Eventually([&] { return Count(&env, "restore_waiting") == 1; }, seconds(20)));
    }
    ASSERT_TRUE(Damage(&env, "nameserver 10.7.7." + std::to_string(i) + "\n"));
  }
  ASSERT_TRUE(Eventually([&] { return Count(&env, "restore_abandoned") == 1; }, seconds(20)));
  boost::json::object ev = Fields(env.Events("restore_abandoned")[0]);
  EXPECT_NE(ev["reason"].as_string().find("nothing is restored"), std::string::npos) << ev;
  EXPECT_EQ(Count(&env, "restore_waiting"), 1);
  EXPECT_EQ(Count(&env, "restore"), 0);
  EXPECT_EQ(Count(&env, "conflict"), 0);
  EXPECT_EQ(ReadFile(env.dir().Sub("resolv.conf")), "nameserver 10.7.7.11\n");
}

// Pauses and policies set at run time are stored: a restart on the same data keeps them.
TEST(Detection, PauseAndSetPolicySurviveARestart) {
  DetectEnv env;
  std::string config = ResolverSetup(&env, "action = \"alert\"\ncooldown_s = 7\n");
  ASSERT_TRUE(env.Start(config).ok());
  ASSERT_TRUE(env.detection()->Pause("r", 3600LL * 1000000000, "planned", "alice").ok());
  boost::json::object before, out;
  ASSERT_TRUE(env.detection()->GetPolicy("r", &before).ok());
  ASSERT_TRUE(
      env.detection()
          ->SetPolicy("r", boost::json::parse(R"({"action": "restore", "settle_ms": 50})"), &out)
          .ok());
  env.Stop();
  ASSERT_TRUE(env.Start(config).ok());
  boost::json::object p;
  ASSERT_TRUE(env.detection()->GetPolicy("r", &p).ok());
  boost::json::object& state = p["state"].as_object();
  EXPECT_TRUE(state["paused"].as_bool());
  EXPECT_EQ(state["paused_until"], before["state"].as_object()["paused_until"]);
  EXPECT_EQ(state["pause_reason"], "planned");
  EXPECT_EQ(state["paused_by"], "alice");
  EXPECT_EQ(p["action"], "restore");
  EXPECT_EQ(p["settle_ms"], 50);
  EXPECT_DOUBLE_EQ(p["cooldown_s"].to_number<double>(), 5) << "the default, as put";

  // Resumed, the set policy restores (and a restart after Resume is not paused).
  ASSERT_TRUE(env.detection()->Resume("r").ok());
  env.Stop();
  ASSERT_TRUE(env.Start(config).ok());
  ASSERT_TRUE(env.detection()->GetPolicy("r", &p).ok());
  EXPECT_FALSE(p["state"].as_object()["paused"].as_bool());
  Rewrite(&env, "nameserver 10.6.6.6\n");
  EXPECT_TRUE(
      Eventually([&] { return ReadFile(env.dir().Sub("resolv.conf")) == kOriginal; }, seconds(20)));
}

TEST(Detection, AnExpiredPauseIsGoneAfterARestart) {
  DetectEnv env;
  std::string config = ResolverSetup(&env, "action = \"alert\"\n");
  ASSERT_TRUE(env.Start(config).ok());
  ASSERT_TRUE(env.detection()->Pause("r", 1000000, "short", "t").ok());  // 1 ms
  std::string stored;
  ASSERT_TRUE(env.daemon()->store()->GetMeta("detect/pause/r", &stored).ok());
  env.Stop();
  ASSERT_TRUE(env.Start(config).ok());  // more than 1 ms later
  boost::json::object p;
  ASSERT_TRUE(env.detection()->GetPolicy("r", &p).ok());
  EXPECT_FALSE(p["state"].as_object()["paused"].as_bool());
  EXPECT_EQ(env.daemon()->store()->GetMeta("detect/pause/r", &stored).code(),
            Status::Code::kNotFound)
      << "the expired record is deleted";
}

// The file wins over a set policy only when the source's [[policy]] in it changed.
TEST(Detection, AChangedFilePolicyReplacesASetPolicy) {
  DetectEnv env;
  ASSERT_TRUE(env.Start(ResolverSetup(&env, "action = \"alert\"\n")).ok());
  boost::json::object p;
  ASSERT_TRUE(env.detection()->SetPolicy("r", boost::json::parse(R"({"settle_ms": 42})"), &p).ok());
  env.Stop();
  ASSERT_TRUE(env.Start(ResolverSetup(&env, "action = \"alert\"\nsettle_ms = 77\n")).ok());
  ASSERT_TRUE(env.detection()->GetPolicy("r", &p).ok());
  EXPECT_EQ(p["settle_ms"], 77);
  std::string stored;
  EXPECT_EQ(env.daemon()->store()->GetMeta("detect/policy/r", &stored).code(),
            Status::Code::kNotFound);

  // A reload: an unchanged [[policy]] keeps the set policy, a changed one replaces it.
  ASSERT_TRUE(env.detection()->SetPolicy("r", boost::json::parse(R"({"settle_ms": 42})"), &p).ok());
  PolicyMap same;
  ASSERT_TRUE(ParsePolicies(env.daemon()->config().document.get(), "test.toml", {"r"}, &same).ok());
  PolicyMap changed = same;
  changed["r"].settle_ms = 99;
  ASSERT_TRUE(env.detection()->ReloadPolicies(same).ok());
  ASSERT_TRUE(env.detection()->GetPolicy("r", &p).ok());
  EXPECT_EQ(p["settle_ms"], 42);
  ASSERT_TRUE(env.detection()->ReloadPolicies(changed).ok());
  ASSERT_TRUE(env.detection()->GetPolicy("r", &p).ok());
  EXPECT_EQ(p["settle_ms"], 99);
  EXPECT_EQ(env.daemon()->store()->GetMeta("detect/policy/r", &stored).code(),
            Status::Code::kNotFound);
}

TEST(Detection, WebhookReceivesEvents) {
  TestServer server({200});
  DetectEnv env;
  ASSERT_TRUE(
      env.Start(ResolverSetup(&env, "action = \"alert\"\nwebhook_url = \"http://127.0.0.1:" +
                                        std::to_string(server.port()) + "/netsnap\"\n"))
          .ok());
  Rewrite(&env, "nameserver 10.6.6.6\n");
  ASSERT_TRUE(Eventually(
      [&] {
        for (const std::string& b : server.bodies()) {
          if (b.find("\"type\":\"detection\"") != std::string::npos) return true;
        }
        return false;
      },
      seconds(20)));
  boost::json::object first = boost::json::parse(server.bodies()[0]).as_object();
  EXPECT_EQ(first["source"], "r");
  EXPECT_TRUE(first.contains("id"));
}

TEST(Detection, BadPolicyFailsCreate) {
  TempDir dir;
  DaemonConfig config;
  ASSERT_TRUE(ParseConfig("[daemon]\ndata_dir = \"" + dir.path() +
                              "\"\n[[source]]\nname = \"r\"\nkind = \"resolver\"\npath = \"" +
                              dir.Sub("resolv.conf") +
                              "\"\n[[policy]]\nsource = \"r\"\nmass_share = 2\n",
                          "cfg.toml", &config)
                  .ok());
  Daemon daemon(config);
  std::unique_ptr<Detection> d;
  Status s = Detection::Create(&daemon, nullptr, config, &d);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("cfg.toml:9:"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace netsnap::testing
