// The API's worker pool end to end: a rollback whose resolver reload command is still running
// holds a worker thread, not the I/O thread, so /v1/health and the rollback's status answer
// meanwhile. The daemon runs one I/O thread: were the rollback on it, nothing else could answer.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <future>

#include "harness.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

TEST(E2eWorkers, HealthAnswersWhileARollbackReloadCommandRuns) {
  Snapshotd d;
  std::string resolv = d.dir().Sub("resolv.conf");
  std::string started = d.dir().Sub("reload-started");
  std::string release = d.dir().Sub("reload-release");
  WriteFile(resolv, "nameserver 127.0.0.1\n");
  // The reload command says it runs, then waits (bounded by reload_timeout_s) until the test
  // lets it finish.
  d.Configure(ResolverSource("r", "resolv.conf", resolv,
                             "reload = \"touch " + started + "; while [ ! -e " + release +
                                 " ]; do sleep 0.05; done\"\nreload_timeout_s = 120"),
              "threads = 1\nworkers = 2");
  ASSERT_TRUE(d.Start());
  json::value first = d.WaitForVersion("r", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());
  int64_t first_version = first.at("version").to_number<int64_t>();
  WriteFile(resolv, "nameserver 127.0.0.2\n");
  ASSERT_TRUE(d.WaitForVersion("r", [&](const json::object& h) {
                 return h.at("version").to_number<int64_t>() > first_version;
               }).is_object());

  auto rollback = std::async(std::launch::async, [&] {
    return d.Post("/v1/sources/r/rollbacks",
                  "{\"to\":" + std::to_string(first_version) + ",\"reason\":\"workers\"}");
  });
  ASSERT_TRUE(WaitFor([&] { return Exists(started); })) << d.Log();

  // The reload command cannot finish before `release` exists: the rollback is applying now.
  HttpReply health = d.Get("/v1/health");
  EXPECT_EQ(health.status, 200) << health.body;
  json::value list = d.GetJson("/v1/rollbacks");
  ASSERT_TRUE(list.is_object());
  const json::array& rollbacks = list.at("rollbacks").as_array();
  ASSERT_EQ(rollbacks.size(), 1u) << list;
  EXPECT_EQ(rollbacks[0].at("state"), "applying") << list;
  std::string id(rollbacks[0].at("id").as_string());
  json::value one = d.GetJson("/v1/rollbacks/" + id);  // on the I/O thread
  ASSERT_TRUE(one.is_object());
  EXPECT_EQ(one.at("state"), "applying");
  EXPECT_EQ(d.Get("/v1/sources/r/versions?limit=5").status, 200);
  EXPECT_NE(rollback.wait_for(std::chrono::seconds(0)), std::future_status::ready);

  WriteFile(release, "");
  HttpReply done = rollback.get();
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.Json().at("state"), "applied") << done.body;
  EXPECT_EQ(ReadFile(resolv), "nameserver 127.0.0.1\n");
}

}  // namespace
}  // namespace netsnap::e2e
