// The end-to-end harness: the real `snapshotd` binary started from a configuration file in a
// temp folder (/tmp/nstest-*), driven only through HTTP and the real `netsnap` CLI.
//
// Every daemon it starts dies with the harness (SIGKILL in the destructor, and PR_SET_PDEATHSIG
// should the test itself crash). Waits are bounded polls of the API for the state a test needs
// (health, a version, an event); nothing sleeps a guessed time.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http.h"
#include "temp_dir.h"

namespace netsnap::e2e {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Tokens of the token file every harness writes (mode 0600): first the operator's.
inline constexpr const char* kOperatorToken = "e2e-operator-token-0123456789";
inline constexpr const char* kViewerToken = "e2e-viewer-token-0123456789";

struct CliResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
};

// Polls pred every 20 ms until it holds or `limit` passes.
bool WaitFor(const std::function<bool()>& pred, milliseconds limit = seconds(30));

// The file's content ("" when it cannot be read).
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

// A [[source]] table for a kernel source named `name` on the namespace at `netns_path`, with
// extra `key = value` lines.
std::string KernelSource(const std::string& name, const std::string& netns_path,
                         const std::string& extra = "");
// A [[source]] table for a resolver source.
std::string ResolverSource(const std::string& name, const std::string& format,
                           const std::string& path, const std::string& extra = "");

class Snapshotd {
 public:
  Snapshotd();
  ~Snapshotd();
  Snapshotd(const Snapshotd&) = delete;
  Snapshotd& operator=(const Snapshotd&) = delete;

  const netsnap::testing::TempDir& dir() const { return dir_; }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string config_path() const { return dir_.Sub("snapshotd.toml"); }
  std::string token_file() const { return dir_.Sub("tokens"); }
  std::string log_path() const { return dir_.Sub("snapshotd.log"); }
  std::string Log() const { return ReadFile(log_path()); }

  // Writes the configuration: a [daemon] table (data_dir DIR/data, listen on port(), the token
  // file, plus `daemon_extra` lines) followed by `body` (sources, policies, retention).
  void Configure(const std::string& body, const std::string& daemon_extra = "");

  // Starts `snapshotd --config FILE ARGS…` and waits (bounded) until /v1/health answers on
  // `port` (default port()): 200, or 503 (degraded) once no source is still starting. False, with
  // the log in a test failure, when it does not.
  bool Start(const std::vector<std::string>& args = {}, std::optional<uint16_t> port = {});
  // Starts it and waits for it to exit (bounded); returns the exit status (-1 if it kept
  // running, and then it is killed).
  int StartExpectingExit(const std::vector<std::string>& args = {});
  // SIGTERM and wait; returns the exit status.
  int Stop();
  // SIGKILL and wait.
  void Kill9();
  bool Restart() { return Stop() == 0 && Start(last_args_); }
  bool running() const { return pid_ > 0; }
  // Sets an environment variable of the daemons started from now on (a test hook's file).
  void SetEnv(const std::string& name, const std::string& value) { env_[name] = value; }

  // HTTP with the operator token (or `token`), Host and Content-Type as a careful client sends.
  HttpReply Get(const std::string& target, const std::string& token = kOperatorToken) const;
  HttpReply Post(const std::string& target, const std::string& body = "{}",
                 const std::map<std::string, std::string>& headers = {},
                 const std::string& token = kOperatorToken) const;
  HttpReply Put(const std::string& target, const std::string& body) const;
  // GET that must answer 200 with JSON (a test failure otherwise; null then).
  boost::json::value GetJson(const std::string& target) const;

  // The latest version header of `source` (null when there is none yet).
  boost::json::value Latest(const std::string& source) const;
  // Waits until the latest version of `source` satisfies pred; returns it (null on timeout).
  boost::json::value WaitForVersion(const std::string& source,
                                    const std::function<bool(const boost::json::object&)>& pred,
                                    milliseconds limit = seconds(30)) const;
  // Stored events of `type` (all when empty) for `source` (all when empty) after `after`.
  boost::json::array Events(const std::string& type, const std::string& source = "",
                            int64_t after = 0) const;
  // Waits for an event of `type` that satisfies pred; returns it (null on timeout).
  boost::json::value WaitForEvent(const std::string& type,
                                  const std::function<bool(const boost::json::object&)>& pred,
                                  milliseconds limit = seconds(30)) const;
  // The highest event id stored so far (0 when none).
  int64_t LastEventId() const;

  // Runs the real `netsnap --server URL --token-file FILE ARGS…` with stdin from `input`
  // (a pipe: not a terminal); bounded to 60 s. FILE is token_file() unless given.
  CliResult Cli(const std::vector<std::string>& args, const std::string& input = "",
                const std::string& token_file = "") const;
  // Runs it on a pseudo-terminal and types `answer` and Enter once the y/N question shows.
  // Output and errors are both in `out`.
  CliResult CliOnTerminal(const std::vector<std::string>& args, const std::string& answer) const;

 private:
  netsnap::testing::TempDir dir_;
  uint16_t port_;
  pid_t pid_ = 0;
  std::vector<std::string> last_args_;
  std::optional<uint16_t> last_port_;
  std::map<std::string, std::string> env_;

  pid_t Spawn(const std::vector<std::string>& args);
  int Reap(milliseconds limit);
};

// Writes DIR/etc/resolv.conf of the daemon's temp folder with `text` and returns its path: the
// file the usual resolver source watches.
std::string WriteResolvConf(const Snapshotd& d, const std::string& text = "nameserver 127.0.0.1\n");

// The set-up most views need: configures a kernel source "k" on `netns_path` and a resolver
// source "r" on a fresh resolv.conf (its path in *resolv), starts the daemon and waits for k's
// first version. Returns that version, or 0 with a test failure when a step fails.
int64_t StartKernelAndResolver(Snapshotd* d, const std::string& netns_path, std::string* resolv);

// The `netsnap` binary (NETSNAP_CLI) and `snapshotd` binary (NETSNAP_SNAPSHOTD) under test.
const char* CliPath();
const char* SnapshotdPath();

// Sorted lines of `ip -n NS route show ARGS` (what a test compares with the daemon's view).
std::vector<std::string> RouteLines(const std::string& netns, const std::string& args);

}  // namespace netsnap::e2e
