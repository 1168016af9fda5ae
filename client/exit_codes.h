// The CLI's exit codes, stable for scripts.
#pragma once

namespace netsnap::cli {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;     // bad arguments, or the server said 400/405/413
constexpr int kExitNotFound = 3;  // 404: no such source, version or rollback
constexpr int kExitServer = 4;    // cannot connect, 401, 5xx, a garbled answer
constexpr int kExitRefused = 5;   // 403, 409 (a guard refused, a conflict), declined prompt
constexpr int kExitFailed = 6;    // the rollback ran and ended failed or reverted
constexpr int kExitDegraded = 7;  // status: a source or the store needs attention (health 503)
constexpr int kExitOutput = 8;    // export: standard output could not be written (disk full)

// The exit code for an HTTP status.
inline int ExitCodeForHttp(int status) {
  if (status >= 200 && status < 300) return kExitOk;
  if (status == 404) return kExitNotFound;
  if (status == 403 || status == 409 || status == 423 || status == 429) return kExitRefused;
  if (status == 400 || status == 405 || status == 413 || status == 431) return kExitUsage;
  return kExitServer;
}

}  // namespace netsnap::cli
