// A child process writes versions and is killed with SIGKILL at random moments; the parent
// reopens the store each time and checks that every version it reports reads back intact.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "route_tables.h"
#include "store/store.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::RouteTable;

[[noreturn]] void WriteForever(const std::string& path, uint32_t seed) {
  std::unique_ptr<Store> store;
  StoreOptions o;
  o.path = path;
  o.max_chain = 6;
  if (!Store::Open(o, &store).ok()) _exit(3);
  std::mt19937 rng(seed);
  RouteTable t(2000 + seed % 1000);
  for (int64_t i = 0;; ++i) {
    t.Mutate(&rng, 1 + rng() % (i % 10 == 0 ? 1500 : 30));
    VersionHeader h;
    if (!store->Commit("kernel", t.ToSnapshot(), nullptr,
                       {1800000000LL * 1000000000 + i, Cause::kEvent, {}, ""}, &h).ok()) {
      _exit(4);
    }
  }
}

TEST(CrashSafety, EveryReportedVersionReadsBackAfterSigkill) {
  testing::TempDir dir;
  std::string path = dir.Sub("db");
  std::mt19937 rng(99);
  uint64_t last = 0;
  for (int round = 0; round < 25; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) WriteForever(path, static_cast<uint32_t>(round));
    usleep(20000 + rng() % 150000);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    ASSERT_TRUE(WIFSIGNALED(st)) << "writer exited by itself with " << WEXITSTATUS(st);

    std::unique_ptr<Store> store;
    Status s = Store::Open({.path = path}, &store);
    ASSERT_TRUE(s.ok()) << s.ToString();
    VersionHeader latest;
    if (!store->Latest("kernel", &latest).ok()) continue;
    EXPECT_GE(latest.version, last);
    // Check the versions written since the last round, and a sample of older ones.
    for (uint64_t v = 1; v <= latest.version; ++v) {
      if (v <= last && v % 7 != 0) continue;
      Snapshot snap;
      Status rs = store->Reconstruct("kernel", v, &snap);
      ASSERT_TRUE(rs.ok()) << "round " << round << " version " << v << ": " << rs.ToString();
    }
    last = latest.version;
  }
  EXPECT_GT(last, 25u);
}

}  // namespace
}  // namespace netsnap
