// Health probes that confirm or revert a rollback awaiting confirmation.
#pragma once

#include <string>

#include "netsnap/status.h"
#include "restore/rollback.h"

namespace netsnap {

// Checks the probe parses ("tcp" host:port, "dns" name[@server[:port]], "gateway" address).
Status ValidateProbe(const Probe& probe);

// Runs one probe from inside the network namespace at `netns_path` ("" for the daemon's own),
// with a timeout of about a second. OK when it passes; otherwise says what failed.
Status RunProbe(const Probe& probe, const std::string& netns_path);

}  // namespace netsnap
