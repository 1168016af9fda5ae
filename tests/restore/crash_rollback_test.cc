// SIGKILL of the daemon in the middle of a large rollback (the journal says `applying` and some
// but not all routes are back), then a restart: the rollback is reverted, and the journal says
// so.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "dnsmasq.h"  // FreePort
#include "netns.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using namespace testing;
namespace json = boost::json;

class Daemon {
 public:
  Daemon(const std::string& config, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      freopen(log.c_str(), "a", stderr);
      const char* bin = std::getenv("NETSNAP_SNAPSHOTD");
      execl(bin, bin, "--config", config.c_str(), nullptr);
      _exit(127);
    }
  }
  ~Daemon() { Kill(SIGKILL); }
  void Kill(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
};

std::string Curl(const std::string& args) {
  std::string out;
  Shell("curl -s --max-time 60 " + args, &out);
  return out;
}

json::value Get(uint16_t port, const std::string& path) {
  std::string body = Curl("http://127.0.0.1:" + std::to_string(port) + path);
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value(nullptr) : v;
}

template <typename F>
bool WaitFor(F cond, int seconds, int poll_ms = 100) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return cond();
}

// The state of the rollback to `target`, "none" when there is none.
std::string StateOf(uint16_t port, int64_t target) {
  json::value list = Get(port, "/v1/rollbacks");
  if (!list.is_object()) return "none";
  for (const auto& rb : list.at("rollbacks").as_array()) {
    if (rb.at("target_version").to_number<int64_t>() == target) {
      return std::string(rb.at("state").as_string());
    }
  }
  return "none";
}

// Whether table 100 has a route; stops reading the dump at the first one (head closes the pipe).
bool AnyRoute(const NetNs& ns) {
  std::string out;
  Shell("ip -n " + ns.name() + " route show table 100 | head -1", &out);
  return !out.empty();
}

int Routes(const NetNs& ns) {
  std::string out;
  ns.Ip("route show table 100", &out);
  return static_cast<int>(std::count(out.begin(), out.end(), '\n'));
}

int64_t Records(uint16_t port) {
  json::value v = Get(port, "/v1/sources");
  if (!v.is_object()) return -1;
  for (const auto& s : v.at("sources").as_array()) {
    if (s.at("name") == "k" && s.at("records").is_number())
      return s.at("records").to_number<int64_t>();
  }
  return -1;
}

TEST(CrashDuringRollback, AKillMidApplyIsRevertedOnRestart) {
  ASSERT_NE(std::getenv("NETSNAP_SNAPSHOTD"), nullptr);
  NetNs ns;
  TempDir dir;
  const int kRoutes = 100000;
  {
    std::ofstream batch(dir.Sub("routes.txt"));
    for (int i = 0; i < kRoutes; ++i) {
      batch << "route add 10." << (i >> 16) << "." << ((i >> 8) & 255) << "." << (i & 255)
            << "/32 via 10.99.0." << 3 + i % 5 << " dev a0 table 100 proto static\n";
    }
  }
  uint16_t port = FreePort();
  std::string config = dir.Sub("netsnap.toml");
  std::ofstream(config) << "[daemon]\ndata_dir = \"" << dir.Sub("data")
                        << "\"\nlisten = \"127.0.0.1:" << port << "\"\nsocket = \""
                        << dir.Sub("api.sock")
                        << "\"\nallow_loopback_operator = true\n[[source]]\nname = \"k\"\nkind = "
                           "\"kernel\"\nnetns = \""
                        << ns.path() << "\"\n";
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(ns.IpBatch(dir.Sub("routes.txt")), 0);
    auto daemon = std::make_unique<Daemon>(config, dir.Sub("daemon.log"));
    ASSERT_TRUE(WaitFor([&] { return Records(port) >= kRoutes; }, 60)) << "round " << round;
    int64_t target =
        Get(port, "/v1/sources").at("sources").at(0).at("latest_version").to_number<int64_t>();
    ASSERT_EQ(ns.Ip("route flush table 100"), 0);
    ASSERT_TRUE(WaitFor(
        [&] {
          int64_t r = Records(port);
          return r >= 0 && r < 50;
        },
        30))
        << "the flush was not captured";

    // Start the rollback, and kill the daemon once it is applying and some routes are back.
    std::string body =
        "{\"to\":\"" + std::to_string(target) + "\",\"force\":true,\"reason\":\"t\"}";
    Shell("curl -s --max-time 60 -H 'Content-Type: application/json' -X POST -d '" + body +
          "' http://127.0.0.1:" + std::to_string(port) +
          "/v1/sources/k/rollbacks >/dev/null 2>&1 &");
    ASSERT_TRUE(WaitFor([&] { return StateOf(port, target) == "applying"; }, 60, 5))
        << "round " << round;
    ASSERT_TRUE(WaitFor([&] { return AnyRoute(ns); }, 60, 1)) << "round " << round;
    daemon->Kill(SIGKILL);
    int during = Routes(ns);
    EXPECT_GT(during, 0) << "round " << round;
    EXPECT_LT(during, kRoutes) << "round " << round << ": the kill came after the apply";

    daemon = std::make_unique<Daemon>(config, dir.Sub("daemon.log"));
    ASSERT_TRUE(WaitFor([&] { return Get(port, "/v1/health").is_object(); }, 60));
    int now = Routes(ns);
    std::string state = StateOf(port, target);
    // Interrupted half-way, it does not match the target: put back as it was.
    EXPECT_EQ(state, "reverted") << "round " << round;
    EXPECT_EQ(now, 0) << "round " << round << ": " << state << ", " << during << " when killed";
    std::printf("round %d: killed with %d of %d routes back; after restart: %s, %d routes\n", round,
                during, kRoutes, state.c_str(), now);
    daemon->Kill(SIGTERM);
    ns.Ip("route flush table 100");
  }
}

}  // namespace
}  // namespace netsnap
