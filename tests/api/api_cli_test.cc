// The netsnap CLI (NETSNAP_CLI, set by meson) run as a subprocess against a live daemon.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "api_harness.h"

namespace netsnap::testing {
namespace {

class ApiCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* cli = std::getenv("NETSNAP_CLI");
    if (!cli) GTEST_SKIP() << "NETSNAP_CLI is not set";
    cli_ = cli;
    std::vector<Route> routes = TestRoutes(10, "192.0.2.1");
    routes.erase(routes.begin());
    routes.push_back(TestRoute("172.16.0.0/12", "192.0.2.1"));
    h.Capture(routes);  // version 2
  }

  // Runs `netsnap --server URL ARGS` with stdin from /dev/null; returns the exit code.
  int Run(const std::string& args, std::string* out = nullptr) {
    std::string cmd = cli_ + " --server " + h.base_url() + " " + args + " </dev/null 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    int status = pclose(p);
    if (out) *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  ApiHarness h;
  std::string cli_;
};

TEST_F(ApiCli, StatusAndSources) {
  std::string out;
  EXPECT_EQ(Run("status", &out), 0) << out;
  EXPECT_NE(out.find("status: ok"), std::string::npos) << out;
  EXPECT_NE(out.find("main"), std::string::npos) << out;
  EXPECT_EQ(Run("sources", &out), 0) << out;
  EXPECT_NE(out.find("NAME"), std::string::npos) << out;
  EXPECT_NE(out.find("memory"), std::string::npos) << out;
  EXPECT_EQ(out.find("\033["), std::string::npos) << "no colour when not a terminal";
}

TEST_F(ApiCli, LogShowDiff) {
  std::string out;
  EXPECT_EQ(Run("log main --limit 5", &out), 0) << out;
  EXPECT_NE(out.find("manual"), std::string::npos) << out;
  EXPECT_NE(out.find("+1 -1 ~0"), std::string::npos) << out;
  EXPECT_EQ(Run("show main@1", &out), 0) << out;
  EXPECT_NE(out.find("10.0.0.0/24 via 192.0.2.1 dev eth0"), std::string::npos) << out;
  EXPECT_EQ(Run("show main", &out), 0) << out;
  EXPECT_NE(out.find("172.16.0.0/12"), std::string::npos) << out;
  EXPECT_EQ(Run("show main@now", &out), 0) << out;
  EXPECT_EQ(Run("diff main 1 2", &out), 0) << out;
  EXPECT_NE(out.find("+ 172.16.0.0/12 via 192.0.2.1"), std::string::npos) << out;
  EXPECT_NE(out.find("- 10.0.0.0/24 via 192.0.2.1"), std::string::npos) << out;
  EXPECT_EQ(Run("--json diff main 1 live", &out), 0) << out;
  boost::json::value v = boost::json::parse(out);
  EXPECT_EQ(v.at("to"), "live");
}

TEST_F(ApiCli, JsonIsParseable) {
  std::string out;
  EXPECT_EQ(Run("--json log main", &out), 0) << out;
  boost::json::value v = boost::json::parse(out);
  EXPECT_EQ(v.at("versions").as_array().size(), 2u);
}

TEST_F(ApiCli, SnapshotAndEvents) {
  std::string out;
  EXPECT_EQ(Run("snapshot main --note hello", &out), 0) << out;
  EXPECT_NE(out.find("version 2 (unchanged)"), std::string::npos) << out;
  EXPECT_EQ(Run("events --type audit", &out), 0) << out;
  EXPECT_NE(out.find("audit"), std::string::npos) << out;
  EXPECT_NE(out.find("POST /v1/sources/{name}/snapshots"), std::string::npos) << out;
}

TEST_F(ApiCli, RollbackDryRunAndPrompt) {
  std::string out;
  EXPECT_EQ(Run("rollback main --to 1 --dry-run", &out), 0) << out;
  EXPECT_NE(out.find("Plan: main back to version 1"), std::string::npos) << out;
  EXPECT_NE(out.find("+ 10.0.0.0/24 via 192.0.2.1 dev eth0"), std::string::npos) << out;
  EXPECT_NE(out.find("- 172.16.0.0/12"), std::string::npos) << out;
  EXPECT_EQ(Run("rollback main --to 1 --only prefix:172.16.0.0/12 --dry-run", &out), 0) << out;
  EXPECT_NE(out.find("add 0, remove 1, replace 0"), std::string::npos) << out;
  // Without --yes and without a terminal: shows the plan, then refuses.
  EXPECT_EQ(Run("rollback main --to 1", &out), 5) << out;
  EXPECT_NE(out.find("Plan:"), std::string::npos) << out;
  EXPECT_NE(out.find("not a terminal"), std::string::npos) << out;
  // With --yes it applies; a rollback that is not awaiting confirmation cannot be confirmed.
  EXPECT_EQ(Run("rollback main --to 1 --yes --reason test --force", &out), 0) << out;
  EXPECT_NE(out.find(": applied"), std::string::npos) << out;
  EXPECT_EQ(Run("confirm 1", &out), 5) << out;
  EXPECT_EQ(Run("cancel 999", &out), 3) << out;
}

TEST_F(ApiCli, ExitCodes) {
  std::string out;
  EXPECT_EQ(Run("", &out), 2) << out;
  EXPECT_EQ(Run("frobnicate", &out), 2) << out;
  EXPECT_EQ(Run("log", &out), 2) << out;
  EXPECT_EQ(Run("rollback main --to 1 --only nonsense --dry-run", &out), 2) << out;
  EXPECT_EQ(Run("show nope", &out), 3) << out;
  EXPECT_EQ(Run("show main@99", &out), 3) << out;
  EXPECT_NE(out.find("not_found"), std::string::npos) << out;
  EXPECT_EQ(Run("log main --since garbage", &out), 2) << out;
  std::string cmd = cli_ + " --server http://127.0.0.1:1 status >/dev/null 2>&1";
  int status = system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 4);
}

// Global options work after the subcommand too.
TEST_F(ApiCli, GlobalOptionsAfterTheSubcommand) {
  std::string out;
  ASSERT_EQ(Run("log main --json", &out), 0) << out;
  EXPECT_EQ(boost::json::parse(out).at("versions").as_array().size(), 2u) << out;
  EXPECT_EQ(Run("status --no-color --timeout 5", &out), 0) << out;
}

// Automation reads the exit code: a rollback that failed (and was reverted) is not a success.
TEST_F(ApiCli, AFailedRollbackExitsSix) {
  // Putting 10.0.0.0/24 back fails.
  h.source()->FailApplyOf({TestRoutes(10, "192.0.2.1")[0].ToRecord().key}, "device busy");
  std::string out;
  EXPECT_EQ(Run("rollback main --to 1 --yes --reason test --force", &out), 6) << out;
  EXPECT_NE(out.find(": failed"), std::string::npos) << out;
  EXPECT_NE(out.find("device busy"), std::string::npos) << out;
  h.source()->ClearFailures();
  EXPECT_EQ(Run("rollback main --to 1 --yes --reason test --force", &out), 0) << out;
}

// On-call's confirm flow: --confirm says when it goes back; `rollbacks --pending` lists what
// awaits; confirm and cancel need no id when one awaits, and list them when several do.
TEST_F(ApiCli, PendingRollbacksConfirmAndCancelWithoutAnId) {
  std::string out;
  EXPECT_EQ(Run("confirm", &out), 3) << out;
  EXPECT_NE(out.find("no rollback awaits confirmation"), std::string::npos) << out;
  ASSERT_EQ(Run("rollback main --to 1 --yes --reason a --force --confirm 5m", &out), 0) << out;
  EXPECT_NE(out.find(": awaiting_confirmation"), std::string::npos) << out;
  EXPECT_NE(out.find("it will be rolled back at "), std::string::npos) << out;
  EXPECT_NE(out.find(" unless confirmed: netsnap confirm 1"), std::string::npos) << out;
  ASSERT_EQ(Run("rollbacks --pending", &out), 0) << out;
  EXPECT_NE(out.find("awaiting_confirmation"), std::string::npos) << out;
  EXPECT_EQ(Run("confirm", &out), 0) << out;
  EXPECT_NE(out.find("rollback 1: confirmed"), std::string::npos) << out;
  ASSERT_EQ(Run("--json rollbacks --pending", &out), 0) << out;
  EXPECT_TRUE(boost::json::parse(out).at("rollbacks").as_array().empty()) << out;
  ASSERT_EQ(Run("--json rollbacks", &out), 0) << out;
  EXPECT_EQ(boost::json::parse(out).at("rollbacks").as_array().size(), 1u) << out;

  // Two awaiting: a bare confirm or cancel lists them and asks for an id.
  ASSERT_EQ(Run("rollback main --to 2 --yes --reason b --force --confirm 5m", &out), 0) << out;
  ASSERT_EQ(Run("rollback main --to 1 --yes --reason c --force --confirm 5m", &out), 0) << out;
  EXPECT_EQ(Run("cancel", &out), 2) << out;
  EXPECT_NE(out.find("2 rollbacks await confirmation; name one: netsnap cancel ID"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\n2 "), std::string::npos) << out;
  EXPECT_NE(out.find("\n3 "), std::string::npos) << out;
  EXPECT_EQ(Run("cancel 3", &out), 0) << out;
  EXPECT_NE(out.find("rollback 3: reverted"), std::string::npos) << out;
  EXPECT_EQ(Run("cancel", &out), 0) << out;
  EXPECT_NE(out.find("rollback 2: reverted"), std::string::npos) << out;
}

// pause, resume and policy drive the detection policy endpoints.
TEST_F(ApiCli, PauseResumeAndPolicy) {
  std::string out;
  ASSERT_EQ(Run("pause main --for 30m --reason CHG-1234", &out), 0) << out;
  EXPECT_NE(out.find("paused until "), std::string::npos) << out;
  EXPECT_NE(out.find("(CHG-1234)"), std::string::npos) << out;
  ASSERT_EQ(Run("--json policy main", &out), 0) << out;
  EXPECT_EQ(boost::json::parse(out).at("state").at("paused"), true) << out;
  ASSERT_EQ(Run("resume main", &out), 0) << out;
  EXPECT_EQ(out.find("paused"), std::string::npos) << out;
  ASSERT_EQ(Run("policy main --set action=restore --set settle_ms=250 "
                "--set 'trusted_processes=[\"bird\"]'",
                &out),
            0)
      << out;
  ASSERT_EQ(Run("--json policy main", &out), 0) << out;
  boost::json::value p = boost::json::parse(out);
  EXPECT_EQ(p.at("action"), "restore") << out;
  EXPECT_EQ(p.at("settle_ms"), 250) << out;
  EXPECT_EQ(p.at("trusted_processes").at(0), "bird") << out;
  EXPECT_EQ(Run("policy main --set no_such_key=1", &out), 2) << out;
  EXPECT_NE(out.find("no_such_key"), std::string::npos) << out;
  EXPECT_EQ(Run("policy main --set action", &out), 2) << out;
  EXPECT_EQ(Run("pause nope", &out), 3) << out;
}

// A server that takes the connection and never answers: the CLI gives up after --timeout.
TEST_F(ApiCli, GivesUpOnAServerThatDoesNotAnswer) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);  // connections complete in the backlog; nothing reads them
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string cmd = cli_ + " --server http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                    " --timeout 0.3 status 2>&1 </dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  int status = pclose(p);
  close(fd);
  EXPECT_EQ(WEXITSTATUS(status), 4) << out;
  EXPECT_NE(out.find("timed out after 300 ms"), std::string::npos) << out;
}

// `events --follow` prints events as they happen, until it is stopped.
TEST_F(ApiCli, FollowPrintsEventsAsTheyHappen) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  std::string server = h.base_url();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    execl(cli_.c_str(), cli_.c_str(), "--server", server.c_str(), "events", "--type", "audit",
          "--follow", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipefd[1]);
  std::string out;
  // Snapshots until one shows in the stream (the follower may connect after the first ones).
  for (int i = 0; i < 50 && out.find("snapshots") == std::string::npos; ++i) {
    Http(h.port(), "POST", "/v1/sources/main/snapshots", "{\"note\":\"follow\"}");
    pollfd pfd{pipefd[0], POLLIN, 0};
    while (poll(&pfd, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = read(pipefd[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  kill(pid, SIGTERM);
  int status;
  waitpid(pid, &status, 0);
  close(pipefd[0]);
  EXPECT_NE(out.find("POST /v1/sources/{name}/snapshots"), std::string::npos) << out;
  EXPECT_TRUE(WIFSIGNALED(status)) << "the follower ended by itself: " << out;
}

TEST(ApiCliAuth, TokenFromEnvironmentOrFile) {
  const char* cli = std::getenv("NETSNAP_CLI");
  if (!cli) GTEST_SKIP();
  ApiHarness h(ApiOptions{}, "viewer-token-0123456789 viewer vera\n");
  std::string base = std::string(cli) + " --server " + h.base_url();
  auto code = [](const std::string& cmd) {
    int s = system((cmd + " >/dev/null 2>&1 </dev/null").c_str());
    return WEXITSTATUS(s);
  };
  EXPECT_EQ(code("NETSNAP_TOKEN= " + base + " sources"), 4);  // 401
  EXPECT_EQ(code("NETSNAP_TOKEN=viewer-token-0123456789 " + base + " sources"), 0);
  EXPECT_EQ(code(base + " --token-file " + h.dir().Sub("tokens") + " sources"), 0);
  EXPECT_EQ(code("NETSNAP_TOKEN=viewer-token-0123456789 " + base + " snapshot main"), 5);  // 403
}

}  // namespace
}  // namespace netsnap::testing
