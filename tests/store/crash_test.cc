// A child process writes versions and is killed with SIGKILL at random moments; the parent
// reopens the store each time and checks that every version the child reported committed is
// there, and that every version the store reports reads back intact.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "netsnap/store.h"
#include "route_tables.h"
#include "temp_dir.h"

namespace netsnap {
namespace {

using testing::RouteTable;

// Commits versions until killed, writing a byte to `progress_fd` after each commit.
[[noreturn]] void WriteForever(const std::string& path, uint32_t seed, int progress_fd) {
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
    if (!store
             ->Commit("kernel", t.ToSnapshot(), nullptr,
                      {1800000000LL * 1000000000 + i, Cause::kEvent, {}, ""}, &h)
             .ok()) {
      _exit(4);
    }
    if (write(progress_fd, "v", 1) != 1) _exit(5);
  }
}

TEST(CrashSafety, EveryReportedVersionReadsBackAfterSigkill) {
  testing::TempDir dir;
  std::string path = dir.Sub("db");
  std::mt19937 rng(99);
  uint64_t last = 0;
  for (int round = 0; round < 25; ++round) {
    int progress[2];
    ASSERT_EQ(pipe(progress), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(progress[0]);
      WriteForever(path, static_cast<uint32_t>(round), progress[1]);
    }
    close(progress[1]);
    // Kill at a random moment after a random number of commits (1 to 8).
    const uint64_t wanted = 1 + rng() % 8;
    uint64_t committed = 0;
    char byte;
    while (committed < wanted && read(progress[0], &byte, 1) == 1) ++committed;
    usleep(rng() % 20000);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    ASSERT_TRUE(WIFSIGNALED(st)) << "writer exited by itself with " << WEXITSTATUS(st);
    while (read(progress[0], &byte, 1) == 1) ++committed;  // reported before the kill
    close(progress[0]);
    ASSERT_GE(committed, wanted);

    std::unique_ptr<Store> store;
    Status s = Store::Open({.path = path}, &store);
    ASSERT_TRUE(s.ok()) << s.ToString();
    VersionHeader latest;
    ASSERT_TRUE(store->Latest("kernel", &latest).ok());
    EXPECT_GE(latest.version, last + committed)
        << "round " << round << ": a reported commit is lost";
    // Check the versions written since the last round, and a sample of older ones.
    for (uint64_t v = 1; v <= latest.version; ++v) {
      if (v <= last && v % 7 != 0) continue;
      Snapshot snap;
      Status rs = store->Reconstruct("kernel", v, &snap);
      ASSERT_TRUE(rs.ok()) << "round " << round << " version " << v << ": " << rs.ToString();
    }
    last = latest.version;
  }
}

}  // namespace
}  // namespace netsnap
