// On-call across a daemon restart: `netsnap events --follow` reconnects by itself and, with
// Last-Event-ID, prints every event exactly once, also those made while it could not connect.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "dnsmasq.h"  // FreePort
#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

// Occurrences of `needle` in `text`.
size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The real CLI following events in the background, its output in files; killed when done.
class Follower {
 public:
  Follower(const Snapshotd& d, const std::vector<std::string>& args)
      : out_(d.dir().Sub("follow.out")), err_(d.dir().Sub("follow.err")) {
    std::vector<std::string> argv = {CliPath(), "--server", d.url(), "--token-file",
                                     d.token_file()};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      std::vector<char*> cargv;
      for (std::string& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
  }
  ~Follower() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string Out() const { return ReadFile(out_); }
  std::string Err() const { return ReadFile(err_); }
  // True while the CLI runs (it must not give up on its own).
  bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
};

TEST(E2eOnCall, FollowingEventsLosesNoneAcrossADaemonRestart) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  Follower f(d, {"events", "--follow", "--type", "detection_pause"});
  auto pause = [&](const std::string& reason) {
    HttpReply r = d.Post("/v1/sources/k/pause", R"({"duration":"1h","reason":")" + reason + "\"}");
    ASSERT_EQ(r.status, 200) << r.body;
  };
  // The follower connects at some point: pause until one shows in its output.
  ASSERT_TRUE(WaitFor([&] {
    pause("before-restart");
    return WaitFor([&] { return f.Out().find("before-restart") != std::string::npos; },
                   milliseconds(300));
  })) << f.Out()
      << f.Err();

  // The daemon goes down; while the follower cannot reach it (it runs on another port for a
  // while) two events are made; then it is back where the follower looks. Only Last-Event-ID
  // brings those two to the follower.
  ASSERT_EQ(d.Stop(), 0);
  uint16_t other = netsnap::testing::FreePort();
  ASSERT_TRUE(d.Start({"--listen", "127.0.0.1:" + std::to_string(other)}, other));
  for (const char* reason : {"after-restart-1", "after-restart-2"}) {
    HttpReply r = HttpRequest(other, "POST", "/v1/sources/k/pause", kOperatorToken,
                              std::string(R"({"duration":"1h","reason":")") + reason + "\"}");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_EQ(d.Stop(), 0);
  ASSERT_TRUE(d.Start());
  ASSERT_TRUE(WaitFor([&] { return f.Out().find("after-restart-2") != std::string::npos; }))
      << f.Out() << f.Err();
  std::string out = f.Out();
  EXPECT_EQ(Count(out, "after-restart-1"), 1u) << out;
  EXPECT_EQ(Count(out, "after-restart-2"), 1u) << out;
  EXPECT_LT(out.find("after-restart-1"), out.find("after-restart-2")) << out;
  // The events before the restart are not printed again.
  size_t before = Count(out, "before-restart");
  EXPECT_EQ(before, Count(out.substr(0, out.find("after-restart-1")), "before-restart")) << out;
  EXPECT_NE(f.Err().find("reconnecting"), std::string::npos) << f.Err();
  EXPECT_TRUE(f.Running()) << f.Err();
}

// The server takes Last-Event-ID (as a browser's EventSource sends it when it reconnects) as
// `after`: the stored events after it come first, then live ones.
TEST(E2eOnCall, TheServerHonoursLastEventId) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  ASSERT_EQ(d.Post("/v1/sources/k/pause", R"({"reason":"first"})").status, 200);
  int64_t first = d.LastEventId();
  ASSERT_EQ(d.Post("/v1/sources/k/pause", R"({"reason":"second"})").status, 200);
  HttpStream s(d.port(), "/v1/events?follow=1&type=detection_pause", kOperatorToken,
               {{"Last-Event-ID", std::to_string(first)}});
  ASSERT_TRUE(
      s.ReadUntil([](const std::string& t) { return t.find("second") != t.npos; }, seconds(10)))
      << s.text();
  EXPECT_EQ(s.text().find("\"first\""), std::string::npos) << s.text();
  ASSERT_EQ(d.Post("/v1/sources/k/pause", R"({"reason":"third"})").status, 200);
  EXPECT_TRUE(
      s.ReadUntil([](const std::string& t) { return t.find("third") != t.npos; }, seconds(10)))
      << s.text();
  // A header that is not an event id is a bad request.
  HttpReply bad = HttpRequest(d.port(), "GET", "/v1/events?follow=1", kOperatorToken, "",
                              {{"Last-Event-ID", "yesterday"}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("Last-Event-ID"), std::string::npos) << bad.body;
}

// The on-call commands against the real daemon: pause, policy --set, resume, and a rollback
// with --confirm that `rollbacks --pending` lists and a bare `confirm` keeps.
TEST(E2eOnCall, PausePolicyAndAnIdLessConfirm) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  json::value first = d.WaitForVersion("k", [](const json::object&) { return true; });
  ASSERT_TRUE(first.is_object());

  CliResult r = d.Cli({"pause", "k", "--for", "30m", "--reason", "CHG-1234"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(CHG-1234)"), std::string::npos) << r.out;
  EXPECT_EQ(d.GetJson("/v1/sources/k/policy").at("state").at("pause_reason"), "CHG-1234");
  r = d.Cli({"policy", "k", "--set", "settle_ms=250", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(d.GetJson("/v1/sources/k/policy").at("settle_ms"), 250);
  r = d.Cli({"resume", "k"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(d.GetJson("/v1/sources/k/policy").at("state").at("paused"), false);

  ASSERT_EQ(ns.Ip("route add 10.1.0.0/16 via 10.99.0.5 dev a0 table 100"), 0);
  ASSERT_TRUE(d.WaitForVersion("k", [&](const json::object& h) {
                 return h.at("version") != first.at("version");
               }).is_object());
  r = d.Cli({"rollback", "k", "--to", std::to_string(first.at("version").to_number<int64_t>()),
             "--yes", "--confirm", "5m", "--force", "--reason", "emptying table 100"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("unless confirmed: netsnap confirm 1"), std::string::npos) << r.out;
  r = d.Cli({"rollbacks", "--pending"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("awaiting_confirmation"), std::string::npos) << r.out;
  r = d.Cli({"confirm"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(d.GetJson("/v1/rollbacks/1").at("state"), "confirmed");
  r = d.Cli({"cancel"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
}

}  // namespace
}  // namespace netsnap::e2e
