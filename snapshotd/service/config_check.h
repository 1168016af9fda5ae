// `snapshotd --check-config`, and the same check before start-up and on reload: everything a
// configuration says is validated with no side effect (no store opened, no socket bound, no
// source started, nothing created or opened for writing).
#pragma once

#include "core/config.h"
#include "netsnap/status.h"

namespace netsnap {

// Checks what ParseConfig leaves to the modules: each source's settings (its kind's keys,
// types and ranges, and that a named network namespace exists), the [[policy]] tables, the
// listen address, the log level and the token file (it parses, is a regular file owned by
// root or this user, and is not readable by group or others). InvalidArgument naming the
// file, the line and the key.
Status CheckConfig(const DaemonConfig& config);

// "N sources (kernel, resolver), API on ADDR": the one line --check-config prints.
std::string ConfigSummary(const DaemonConfig& config);

}  // namespace netsnap
