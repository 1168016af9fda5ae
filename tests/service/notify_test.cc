// sd_notify and the watchdog, with the real snapshotd and a test-owned $NOTIFY_SOCKET: READY=1
// once the API answers, STATUS=, WATCHDOG=1 while every thread turns (and not while a capture
// thread is stalled through the test hook), RELOADING=1 on SIGHUP, STOPPING=1 on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>

#include "snapshotd_process.h"
#include "temp_dir.h"

namespace netsnap::testing {
namespace {

using namespace std::chrono_literals;

// A daemon with one resolver source on a file in the test's folder.
struct NotifyFixture {
  TempDir dir;
  int port = FreePort();
  NotifySocket notify{dir.Sub("notify")};

  NotifyFixture() {
    WriteFile(dir.Sub("resolv.conf"), "nameserver 192.0.2.1\n", 0644);
    WriteFile(dir.Sub("snapshotd.toml"),
              "[daemon]\ndata_dir = \"data\"\nsocket = \"\"\nlisten = \"127.0.0.1:" +
                  std::to_string(port) +
                  "\"\n[[source]]\nname = \"res\"\nkind = \"resolver\"\n"
                  "format = \"resolv.conf\"\npath = \"" +
                  dir.Sub("resolv.conf") + "\"\n");
  }
  std::vector<std::string> Args() const { return {"--config", dir.Sub("snapshotd.toml")}; }
  std::vector<std::string> Env(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> env = {"NOTIFY_SOCKET=" + notify.path()};
    env.insert(env.end(), more.begin(), more.end());
    return env;
  }
};

TEST(NotifyTest, ReadyStatusWatchdogReloadingStopping) {
  NotifyFixture f;
  SnapshotdProcess d(f.Args(), f.Env(), f.dir.Sub("log"), "200000");
  std::string ready;
  ASSERT_TRUE(f.notify.WaitFor("READY=1", 60s, &ready)) << d.Log();
  // READY=1 comes once the API answers and the source delivered its first snapshot.
  EXPECT_EQ(Call(f.port, "GET", "/v1/health").status, 200);
  EXPECT_NE(ready.find("STATUS=sources: res running v1"), std::string::npos) << ready;
  // WATCHDOG_USEC=200000: a ping every 100 ms.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.notify.WaitFor("WATCHDOG=1", 5s)) << d.Log();

  d.Signal(SIGHUP);
  ASSERT_TRUE(f.notify.WaitFor("RELOADING=1", 30s)) << d.Log();
  std::string after;
  ASSERT_TRUE(f.notify.WaitFor("READY=1", 30s, &after)) << d.Log();
  EXPECT_NE(after.find("STATUS=sources: res"), std::string::npos) << after;
  EXPECT_TRUE(d.running()) << "SIGHUP must not stop the daemon\n" << d.Log();

  d.Signal(SIGTERM);
  ASSERT_TRUE(f.notify.WaitFor("STOPPING=1", 30s)) << d.Log();
  EXPECT_EQ(d.Wait(60s), 0) << d.Log();
}

// Whether no WATCHDOG=1 arrives for `quiet` at some point within `limit`.
bool PingsStop(NotifySocket* notify, std::chrono::milliseconds quiet,
               std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!notify->WaitFor("WATCHDOG=1", quiet)) return true;
  }
  return false;
}

TEST(NotifyTest, StalledCaptureThreadStopsThePings) {
  NotifyFixture f;
  const std::string stall = f.dir.Sub("stall");
  SnapshotdProcess d(f.Args(), f.Env({"NETSNAP_TEST_STALL_FILE=" + stall}), f.dir.Sub("log"),
                     "200000");
  ASSERT_TRUE(f.notify.WaitFor("READY=1", 60s)) << d.Log();
  ASSERT_TRUE(f.notify.WaitFor("WATCHDOG=1", 5s)) << d.Log();
  // Every 100 ms while the thread turns: 1.5 s of silence never happens unless it is stuck.
  EXPECT_FALSE(PingsStop(&f.notify, 1500ms, 4s)) << d.Log();

  WriteFile(stall, "res\n");  // the resolver's capture thread blocks at its next heartbeat
  ASSERT_TRUE(PingsStop(&f.notify, 1500ms, 30s)) << d.Log();
  EXPECT_NE(d.Log().find("capture thread of source res is stuck"), std::string::npos) << d.Log();

  std::remove(stall.c_str());
  ASSERT_TRUE(f.notify.WaitFor("WATCHDOG=1", 30s)) << d.Log();
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(60s), 0) << d.Log();
}

TEST(NotifyTest, NoSocketNoNotification) {
  // Without $NOTIFY_SOCKET the daemon runs as before and stops cleanly.
  NotifyFixture f;
  SnapshotdProcess d(f.Args(), {}, f.dir.Sub("log"));
  for (int i = 0; i < 600 && Call(f.port, "GET", "/v1/health").status != 200; ++i) {
    ASSERT_TRUE(d.running()) << d.Log();
    f.notify.Receive(100ms);  // a bounded wait between attempts; nothing should arrive
  }
  EXPECT_EQ(Call(f.port, "GET", "/v1/health").status, 200);
  EXPECT_EQ(f.notify.Receive(300ms), "");
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(60s), 0) << d.Log();
}

}  // namespace
}  // namespace netsnap::testing
