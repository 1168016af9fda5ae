// The real snapshotd binary run by a test: a child process with its own arguments and
// environment, its output in a file, and a Unix datagram socket standing in for systemd's
// $NOTIFY_SOCKET.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/http_client.h"
#include "support/dnsmasq.h"  // FreePort

namespace netsnap::testing {

// The path of a binary or folder meson passes in the environment (SNAPSHOTD, NETSNAP_CLI, ...).
std::string EnvPath(const char* name);

// A socket bound at `path` that receives sd_notify datagrams.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  const std::string& path() const { return path_; }

  // The next datagram within `limit`, or "" on timeout.
  std::string Receive(std::chrono::milliseconds limit);
  // Receives until a datagram has a line starting with `prefix` (returned whole in *message);
  // false when `limit` passes first.
  bool WaitFor(const std::string& prefix, std::chrono::milliseconds limit,
               std::string* message = nullptr);

 private:
  std::string path_;
  int fd_ = -1;
};

class SnapshotdProcess {
 public:
  // Starts snapshotd with `args` and `env` ("NAME=VALUE", added to the test's environment);
  // stdout and stderr go to `log`. WATCHDOG_PID is set to the child's pid when `watchdog_usec`
  // is not empty (WATCHDOG_USEC is set to it).
  SnapshotdProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                   std::string log, const std::string& watchdog_usec = "");
  ~SnapshotdProcess();  // SIGKILL when still running
  SnapshotdProcess(const SnapshotdProcess&) = delete;
  SnapshotdProcess& operator=(const SnapshotdProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // The exit code once the process ends within `limit`; -1 on timeout, 128+N on signal N.
  int Wait(std::chrono::milliseconds limit);
  bool running();
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_;
  int status_ = -1;
};

// Runs `binary` with `args` to the end; returns its exit code and its stdout+stderr in *out.
int RunBinary(const std::string& binary, const std::vector<std::string>& args, std::string* out);

// GET or PUT on 127.0.0.1:port, with a bearer token when not empty.
HttpAnswer Call(int port, const std::string& method, const std::string& target,
                const std::string& token = "", const std::string& body = "");

void WriteFile(const std::string& path, const std::string& text, int mode = 0600);

}  // namespace netsnap::testing
