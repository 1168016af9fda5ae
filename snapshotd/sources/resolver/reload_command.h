// Running a resolver's reload command (e.g. "systemctl reload dnsmasq") after a restore, with a
// time limit: a command that hangs is killed with its whole process group.
#pragma once

#include <cstdint>
#include <string>

#include "netsnap/status.h"

namespace netsnap {

// Runs `/bin/sh -c command` in its own process group, with stdin on /dev/null, no descriptor
// above 2, default signal dispositions, an empty signal mask and only PATH and LANG=C in its
// environment. When the command ends or its time is up, what is left of its group is killed. OK
// when it exits 0 within timeout_ms; otherwise IOError (exit status and the first KiB of its
// output) or Unavailable (timed out, killed).
Status RunReloadCommand(const std::string& command, int64_t timeout_ms);

}  // namespace netsnap
