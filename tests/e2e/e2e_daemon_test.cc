// The daemon as installed: configuration file, command-line overrides, token loading, logging,
// health, restarts. Only HTTP and the process's exit status and log are looked at.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "as_nobody.h"
#include "dnsmasq.h"  // FreePort
#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;

TEST(E2eDaemon, CommandLineOverridesTheConfigurationFile) {
  Snapshotd d;
  NetNs ns;
  d.Configure(KernelSource("k", ns.path()), "log_level = \"warn\"\nlog_format = \"text\"");
  uint16_t other = netsnap::testing::FreePort();
  std::string data = d.dir().Sub("elsewhere");
  ASSERT_TRUE(d.Start({"--data-dir", data, "--listen", "127.0.0.1:" + std::to_string(other),
                       "--log-level", "info", "--log-format", "json"},
                      other));
  // The API is on the port given on the command line, not the file's.
  EXPECT_EQ(HttpRequest(other, "GET", "/v1/health", kOperatorToken).status, 200);
  EXPECT_EQ(d.Get("/v1/health").status, 0);
  // The store is under --data-dir; the file's data_dir is untouched.
  EXPECT_TRUE(std::filesystem::is_directory(data + "/store"));
  EXPECT_FALSE(std::filesystem::exists(d.dir().Sub("data")));
  ASSERT_EQ(d.Stop(), 0);
  // --log-format json: every line is one JSON object; --log-level info: info lines are there
  // although the file says warn.
  std::string log = d.Log();
  std::stringstream lines(log);
  int info = 0, n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(v.as_object().contains("message")) << line;
    ASSERT_TRUE(v.as_object().contains("time")) << line;
    if (v.at("level") == "info") ++info;
  }
  EXPECT_GT(n, 0);
  EXPECT_GT(info, 0) << log;
  EXPECT_NE(log.find("snapshotd ready: data in " + data), std::string::npos) << log;
}

TEST(E2eDaemon, LogLevelFromTheFileFiltersAndTextIsTheDefault) {
  Snapshotd d;
  NetNs ns;
  d.Configure(KernelSource("k", ns.path()), "log_level = \"warn\"");
  ASSERT_TRUE(d.Start());
  ASSERT_EQ(d.Stop(), 0);
  std::string log = d.Log();
  // info lines ("snapshotd ready", "source k ... started") are below warn.
  EXPECT_EQ(log.find("snapshotd ready"), std::string::npos) << log;
  EXPECT_EQ(log.find(" info ["), std::string::npos) << log;

  d.Configure(KernelSource("k", ns.path()), "log_level = \"info\"");
  ASSERT_TRUE(d.Start());
  ASSERT_EQ(d.Stop(), 0);
  log = d.Log();
  EXPECT_NE(log.find("snapshotd ready"), std::string::npos) << log;
  EXPECT_NE(log.find("source k (kernel"), std::string::npos) << log;
  // Text lines start with the RFC 3339 time, then the level: "2026-12-01T01:44:58.2Z info [TID]".
  EXPECT_EQ(log.substr(0, 2), "20") << log;
  EXPECT_NE(log.find("Z info ["), std::string::npos) << log;
}

TEST(E2eDaemon, InvalidFilesStopStartUpNamingFileLineAndKey) {
  Snapshotd d;
  NetNs ns;
  // The harness's [daemon] table has 5 lines; extra lines start on line 6.
  d.Configure(KernelSource("k", ns.path()), "threads = \"many\"");
  EXPECT_EQ(d.StartExpectingExit(), 2);
  EXPECT_NE(d.Log().find(d.config_path() + ":6: 'threads' must be an integer from 1 to 64"),
            std::string::npos)
      << d.Log();

  d.Configure("[[policy]]\ncooldown_s = \"soon\"\n" + KernelSource("k", ns.path()));
  EXPECT_EQ(d.StartExpectingExit(), 2);
  EXPECT_NE(d.Log().find(d.config_path() + ":8: [[policy]] '*': 'cooldown_s'"), std::string::npos)
      << d.Log();

  d.Configure(KernelSource("k", ns.path()), "log_level = \"loud\"");
  EXPECT_EQ(d.StartExpectingExit(), 2);
  EXPECT_NE(d.Log().find(d.config_path() + ":6: [daemon] log_level: unknown level 'loud'"),
            std::string::npos)
      << d.Log();

  d.Configure(KernelSource("k", ns.path()));
  EXPECT_EQ(d.StartExpectingExit({"--log-format", "xml"}), 2);
  EXPECT_NE(d.Log().find("--log-format must be text or json"), std::string::npos) << d.Log();
}

TEST(E2eDaemon, TokensFromTheTokenFileDecideWhoMayDoWhat) {
  Snapshotd d;
  NetNs ns;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  EXPECT_EQ(d.Get("/v1/sources", "").status, 401);
  EXPECT_EQ(d.Get("/v1/sources", "e2e-not-a-token-0123456789").status, 401);
  EXPECT_EQ(d.Get("/v1/sources", kViewerToken).status, 200);
  HttpReply viewer = d.Post("/v1/sources/k/snapshots", "{}", {}, kViewerToken);
  EXPECT_EQ(viewer.status, 403) << viewer.body;
  HttpReply op = d.Post("/v1/sources/k/snapshots", "{\"note\":\"by alice\"}");
  EXPECT_TRUE(op.status == 200 || op.status == 201) << op.body;
  // The audit trail names the token's principal from the file.
  json::value audit = d.WaitForEvent("audit", [](const json::object& e) {
    return e.at("who") == "alice" && e.at("status").to_number<int>() / 100 == 2;
  });
  EXPECT_TRUE(audit.is_object());
  // A refused call is counted, not stored as an event (security.md, "Unauthenticated load").
  HttpReply metrics = d.Get("/metrics", kViewerToken);
  EXPECT_NE(metrics.body.find("netsnap_http_refused_total{reason=\"forbidden\"} 1"),
            std::string::npos)
      << metrics.body;
}

TEST(E2eDaemon, AnInvalidSourceSettingNamesTheFile) {
  Snapshotd d;
  NetNs ns;
  d.Configure(KernelSource("k", ns.path(), "debounce_ms = \"soon\""));
  EXPECT_EQ(d.StartExpectingExit(), 2);
  std::string log = d.Log();
  EXPECT_NE(log.find(d.config_path() + ":11: source 'k': debounce_ms: expected an integer"),
            std::string::npos)
      << log;
}

TEST(E2eDaemon, AMissingOrBadTokenFileStopsStartUp) {
  Snapshotd d;
  NetNs ns;
  std::string missing = d.dir().Sub("no-such-tokens");
  d.Configure(KernelSource("k", ns.path()), "token_file = \"" + missing + "\"");
  // A repeated key is a TOML error: write the [daemon] table by hand instead.
  WriteFile(d.config_path(), "[daemon]\ndata_dir = \"" + d.dir().Sub("data") +
                                 "\"\nlisten = \"127.0.0.1:" + std::to_string(d.port()) +
                                 "\"\nsocket = \"\"\ntoken_file = \"" + missing + "\"\n" +
                                 KernelSource("k", ns.path()));
  EXPECT_NE(d.StartExpectingExit(), 0);
  EXPECT_NE(d.Log().find(missing), std::string::npos) << d.Log();

  WriteFile(d.token_file(), "short operator alice\n");
  d.Configure(KernelSource("k", ns.path()));
  EXPECT_NE(d.StartExpectingExit(), 0);
  EXPECT_NE(d.Log().find(d.token_file() + ":1"), std::string::npos) << d.Log();
  EXPECT_EQ(d.Log().find("short operator"), std::string::npos) << "the token is not logged";
}

TEST(E2eDaemon, HealthIsDegradedWhileASourceIsNotRunning) {
  Snapshotd d;
  NetNs ns;
  // A path that exists but is no namespace: the source cannot enter it and stays in error,
  // while the daemon and the other source run.
  std::string not_a_namespace = d.dir().Sub("not-a-namespace");
  WriteFile(not_a_namespace, "");
  d.Configure(KernelSource("k", ns.path()) + KernelSource("gone", not_a_namespace));
  ASSERT_TRUE(d.Start());
  // 503 with the health body: a probe that reads only the status sees it too.
  HttpReply reply = d.Get("/v1/health");
  EXPECT_EQ(reply.status, 503);
  json::value h = reply.Json();
  ASSERT_TRUE(h.is_object()) << reply.body;
  EXPECT_EQ(h.at("status"), "degraded");
  const json::array& sources = h.at("sources").as_array();
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0].at("name"), "k");
  EXPECT_EQ(sources[0].at("state"), "running");
  EXPECT_EQ(sources[1].at("name"), "gone");
  EXPECT_EQ(sources[1].at("state"), "error");
  EXPECT_EQ(sources[1].at("error"), "io_error: kernel source 'gone': setns: Invalid argument");
  EXPECT_TRUE(sources[1].at("last_capture").is_null());
  // The CLI shows the same.
  CliResult status = d.Cli({"status"});
  EXPECT_EQ(status.exit_code, 7) << status.err;
  EXPECT_NE(status.out.find("degraded"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("setns: Invalid argument"), std::string::npos) << status.out;

  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Restart());
  EXPECT_EQ(d.GetJson("/v1/health").at("status"), "ok");
  EXPECT_EQ(d.Cli({"status"}).exit_code, 0);
}

TEST(E2eDaemon, HistorySurvivesKillNineAndRestart) {
  Snapshotd d;
  NetNs ns;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  ASSERT_EQ(ns.Ip("route add 10.1.0.0/16 via 10.99.0.5 dev a0"), 0);
  json::value v = d.WaitForVersion("k", [](const json::object& h) { return h.at("added") == 1; });
  ASSERT_TRUE(v.is_object());
  int64_t version = v.at("version").to_number<int64_t>();
  EXPECT_EQ(v.at("actor").at("process"), "ip");
  // The history is root's alone: the data dir 0700, every file the store made 0600 (umask 077).
  struct stat st;
  ASSERT_EQ(stat(d.dir().Sub("data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  for (const auto& e : std::filesystem::recursive_directory_iterator(d.dir().Sub("data"))) {
    if (!e.is_regular_file()) continue;
    ASSERT_EQ(stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << e.path() << " is open to group or others";
  }
  d.Kill9();
  ASSERT_TRUE(d.Start());
  json::value again = d.GetJson("/v1/sources/k/versions/" + std::to_string(version));
  ASSERT_TRUE(again.is_object());
  int routes = 0;
  for (const json::value& r : again.at("records").as_array()) {
    if (r.at("kind") != "route") continue;
    ++routes;
    EXPECT_EQ(r.at("dst"), "10.1.0.0/16");
  }
  EXPECT_EQ(routes, 1);
  // Nothing changed while it was down: the restart stores no new version.
  EXPECT_EQ(d.Latest("k").at("version").to_number<int64_t>(), version);
}

TEST(E2eDaemon, TheCliAsAnotherUserCannotReadTheDaemonsTokenFile) {
  Snapshotd d;
  NetNs ns;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  struct stat st {};
  ASSERT_EQ(stat(d.token_file().c_str(), &st), 0);
  ASSERT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(chmod(d.dir().path().c_str(), 0755), 0);  // nobody may reach the file, not read it
  // A copy of the CLI nobody can run: the build tree may sit below a folder only root can enter.
  std::string cli = d.dir().Sub("netsnap");
  std::filesystem::copy_file(CliPath(), cli);
  ASSERT_EQ(chmod(cli.c_str(), 0755), 0);
  std::string out;
  int rc = netsnap::testing::ShellAsNobody(
      cli + " --server " + d.url() + " --token-file " + d.token_file() + " status", &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("cannot read a token from " + d.token_file()), std::string::npos) << out;
  // As root, with the same file, the CLI works.
  EXPECT_EQ(d.Cli({"status"}).exit_code, 0);
}

// api.md: a stale socket left by a crash is replaced; any other file at the socket's path is
// left alone and the daemon does not start.
TEST(E2eDaemon, AStaleSocketIsReplacedAndAnyOtherFileThereStopsStartUp) {
  Snapshotd d;
  std::string resolv = d.dir().Sub("resolv.conf");
  WriteFile(resolv, "nameserver 127.0.0.1\n");
  d.Configure(ResolverSource("r", "resolv.conf", resolv));
  std::string socket = d.dir().Sub("api.sock");
  std::string health = "curl -sf --unix-socket " + socket + " http://localhost/v1/health";
  ASSERT_TRUE(d.Start());
  d.Kill9();
  struct stat st;
  ASSERT_EQ(lstat(socket.c_str(), &st), 0);
  ASSERT_TRUE(S_ISSOCK(st.st_mode)) << "kill -9 leaves the socket file behind";
  ASSERT_NE(netsnap::testing::Shell(health + " >/dev/null 2>&1"), 0) << "nobody listens on it";
  ASSERT_TRUE(d.Start());
  std::string out;
  EXPECT_EQ(netsnap::testing::Shell(health, &out), 0) << out;
  EXPECT_NE(out.find("\"status\""), std::string::npos) << out;
  EXPECT_EQ(d.Stop(), 0);

  std::filesystem::remove(socket);
  WriteFile(socket, "not a socket\n");
  EXPECT_NE(d.StartExpectingExit(), 0);
  EXPECT_NE(d.Log().find(socket), std::string::npos) << d.Log();
  EXPECT_EQ(ReadFile(socket), "not a socket\n");
}

}  // namespace
}  // namespace netsnap::e2e
