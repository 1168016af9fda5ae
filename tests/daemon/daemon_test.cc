// The real snapshotd binary: the retention runner runs on its interval, and a data dir on a
// small tmpfs under a churning 20k-route namespace: the daemon stays up and answers, health says
// degraded, and once space is freed its latest version equals the namespace's table.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
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

class Snapshotd {
 public:
  Snapshotd(const std::string& config, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      if (!freopen(log.c_str(), "a", stderr)) _exit(126);
      const char* bin = std::getenv("NETSNAP_SNAPSHOTD");
      execl(bin, bin, "--config", config.c_str(), nullptr);
      _exit(127);
    }
  }
  ~Snapshotd() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  // Whether the process still runs.
  bool Alive() { return waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = 0;
};

std::string Http(uint16_t port, const std::string& path) {
  std::string out;
  Shell("curl -s --max-time 10 http://127.0.0.1:" + std::to_string(port) + path, &out);
  return out;
}

json::value Get(uint16_t port, const std::string& path) {
  boost::system::error_code ec;
  json::value v = json::parse(Http(port, path), ec);
  return ec ? json::value(nullptr) : v;
}

// A metric's value from /metrics, -1 when absent.
double Metric(uint16_t port, const std::string& series) {
  std::string text = Http(port, "/metrics");
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

template <typename F>
bool WaitFor(F cond, int seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return cond();
}

// The source's field from /v1/sources, or a null value.
json::value SourceField(uint16_t port, const std::string& name, const char* field) {
  json::value v = Get(port, "/v1/sources");
  if (!v.is_object()) return nullptr;
  for (const auto& s : v.at("sources").as_array()) {
    if (s.at("name") == json::value(name)) return s.at(field);
  }
  return nullptr;
}

// The source's field from /v1/health (state, error), or a null value.
json::value HealthField(uint16_t port, const std::string& name, const char* field) {
  json::value v = Get(port, "/v1/health");
  if (!v.is_object() || !v.as_object().contains("sources")) return nullptr;
  for (const auto& s : v.at("sources").as_array()) {
    if (s.at("name") == json::value(name)) return s.at(field);
  }
  return nullptr;
}

int64_t Number(const json::value& v) { return v.is_number() ? v.to_number<int64_t>() : -1; }

TEST(Daemon, RetentionRunsOnItsInterval) {
  ASSERT_NE(std::getenv("NETSNAP_SNAPSHOTD"), nullptr);
  TempDir dir;
  uint16_t port = FreePort();
  std::string resolv = dir.Sub("resolv.conf");
  std::ofstream(resolv) << "nameserver 192.0.2.1\n";
  std::string config = dir.Sub("netsnap.toml");
  std::ofstream(config) << "[daemon]\ndata_dir = \"" << dir.Sub("data")
                        << "\"\nsocket = \"\"\nlisten = \"127.0.0.1:" << port
                        << "\"\n[retention]\nkeep_all = \"1s\"\nhourly = \"0s\"\ndaily = \"0s\"\n"
                           "interval = \"1s\"\n[[source]]\nname = \"r\"\nkind = \"resolver\"\n"
                           "format = \"resolv.conf\"\npath = \""
                        << resolv << "\"\n";
  Snapshotd daemon(config, dir.Sub("daemon.log"));
  ASSERT_TRUE(WaitFor([&] { return Number(SourceField(port, "r", "latest_version")) >= 1; }, 30));
  for (int i = 2; i <= 6; ++i) {
    std::ofstream(resolv) << "nameserver 192.0.2." << i << "\n";
    ASSERT_TRUE(WaitFor([&] { return Number(SourceField(port, "r", "latest_version")) >= i; }, 30))
        << "version " << i << " was not recorded";
  }
  // Every version but the newest is older than keep_all once a pass runs.
  ASSERT_TRUE(WaitFor(
      [&] { return Metric(port, "netsnap_retention_removed_total{kind=\"versions\"}") >= 5; }, 30))
      << Http(port, "/metrics");
  EXPECT_GE(Metric(port, "netsnap_retention_runs_total"), 1);
  EXPECT_GT(Metric(port, "netsnap_retention_last_run_timestamp_seconds"), 1.7e9);
  json::value page = Get(port, "/v1/sources/r/versions");
  ASSERT_TRUE(page.is_object()) << Http(port, "/v1/sources/r/versions");
  EXPECT_EQ(page.at("versions").as_array().size(), 1u);
}

int TableRoutes(const NetNs& ns) {
  std::string out;
  ns.Ip("route show table 100", &out);
  return static_cast<int>(std::count(out.begin(), out.end(), '\n'));
}

// A tmpfs mounted for the test, unmounted when it ends.
class Tmpfs {
 public:
  Tmpfs(const std::string& dir, const std::string& size) : dir_(dir) {
    mkdir(dir.c_str(), 0700);
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

std::string Text(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

// The table is 20k routes, not the 100k of issue 13: what is under test is a failed write and
// the recovery, which do not depend on the table's size, and a 20k-route round of churn takes
// about a second where 100k took about ten (the whole test ran over 90 s then).
TEST(Daemon, DiskFullDegradesAndRecoversToTheLiveTable) {
  ASSERT_NE(std::getenv("NETSNAP_SNAPSHOTD"), nullptr);
  NetNs ns;
  TempDir dir;
  Tmpfs fs(dir.Sub("small"), "24m");
  ASSERT_TRUE(fs.mounted());
  const int kRoutes = 20000;
  // Four tables that differ in every route's gateway: each round changes all of them.
  auto batch = [&](const std::string& file, int gw) {
    std::ofstream b(file);
    for (int i = 0; i < kRoutes; ++i) {
      b << "route replace 10." << (i >> 16) << "." << ((i >> 8) & 255) << "." << (i & 255)
        << "/32 via 10.99.0." << 3 + (i + gw) % 5 << " dev a0 table 100 proto static\n";
    }
  };
  for (int gw = 0; gw < 4; ++gw) batch(dir.Sub("routes" + std::to_string(gw)), gw);
  ASSERT_EQ(ns.IpBatch(dir.Sub("routes0")), 0);

  uint16_t port = FreePort();
  std::string config = dir.Sub("netsnap.toml");
  std::ofstream(config) << "[daemon]\ndata_dir = \"" << dir.Sub("small/data")
                        << "\"\nsocket = \"\"\nlisten = \"127.0.0.1:" << port
                        << "\"\n[[source]]\nname = \"k\"\nkind = \"kernel\"\nnetns = \""
                        << ns.path() << "\"\ntables = [100]\n";
  Snapshotd daemon(config, dir.Sub("daemon.log"));
  ASSERT_TRUE(WaitFor([&] { return Number(SourceField(port, "k", "records")) >= kRoutes; }, 60));
  // Besides table 100's routes the source records the namespace's rules.
  const int64_t extra = Number(SourceField(port, "k", "records")) - kRoutes;
  // A filler that leaves the store 512 KB, less than two rounds of churn write; deleting it is
  // how space comes back.
  std::string filler = dir.Sub("small/filler");
  struct statvfs fs_stat;
  ASSERT_EQ(statvfs(dir.Sub("small").c_str(), &fs_stat), 0);
  uint64_t free_kb = fs_stat.f_bavail * fs_stat.f_frsize >> 10;
  ASSERT_GT(free_kb, 1024u);
  ASSERT_EQ(Shell("dd if=/dev/zero of=" + filler + " bs=1K count=" + std::to_string(free_kb - 512) +
                  " status=none"),
            0);

  // Churn until a commit fails and health says so; the daemon answers after every round.
  bool degraded = false;
  for (int round = 1; round <= 40 && !degraded; ++round) {
    ASSERT_EQ(ns.IpBatch(dir.Sub("routes" + std::to_string(round % 4))), 0);
    json::value h = Get(port, "/v1/health");
    ASSERT_TRUE(h.is_object() && h.as_object().contains("status"))
        << "no health in round " << round << ": " << Http(port, "/v1/health");
    degraded = h.at("status") == "degraded" && HealthField(port, "k", "state") == "degraded";
  }
  ASSERT_TRUE(degraded) << Http(port, "/v1/health");
  EXPECT_GE(Metric(port, "netsnap_commit_failures_total{source=\"k\"}"), 1);
  json::value disk = Get(port, "/v1/health").at("disk");
  EXPECT_NE(Text(disk.at("write_error")).find("No space left"), std::string::npos) << disk;
  // The store has tried to recover on the full disk (RocksDB's own recovery used to abort the
  // process here) and the daemon still answers.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Text(HealthField(port, "k", "error")).find("recovery failed") != std::string::npos;
      },
      30))
      << Http(port, "/v1/health");
  EXPECT_TRUE(daemon.Alive());

  // One more change while the disk is full, then space comes back.
  ASSERT_EQ(ns.Ip("route add 10.200.0.0/16 via 10.99.0.3 dev a0 table 100 proto static"), 0);
  ASSERT_EQ(unlink(filler.c_str()), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        json::value h = Get(port, "/v1/health");
        return h.is_object() && h.as_object().contains("status") && h.at("status") == "ok";
      },
      60))
      << Http(port, "/v1/health");
  EXPECT_TRUE(daemon.Alive());
  // The stored latest version equals the namespace: the daemon's own comparison with a fresh
  // read is empty, its record count matches `ip route`, and it holds the route added while the
  // disk was full.
  json::value diff = Get(port, "/v1/sources/k/diff?from=latest&to=live");
  ASSERT_TRUE(diff.is_object()) << Http(port, "/v1/sources/k/diff?from=latest&to=live");
  EXPECT_TRUE(diff.at("added").as_array().empty()) << diff.at("added").as_array().size();
  EXPECT_TRUE(diff.at("removed").as_array().empty()) << diff.at("removed").as_array().size();
  EXPECT_TRUE(diff.at("changed").as_array().empty()) << diff.at("changed").as_array().size();
  const int live = TableRoutes(ns);
  ASSERT_EQ(live, kRoutes + 1);
  EXPECT_EQ(Number(SourceField(port, "k", "records")), live + extra);
  std::string text = Http(port, "/v1/sources/k/versions/latest?format=text");
  EXPECT_NE(text.find("10.200.0.0/16"), std::string::npos);
}

}  // namespace
}  // namespace netsnap
