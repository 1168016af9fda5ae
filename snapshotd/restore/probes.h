// Health probes that confirm or revert a rollback awaiting confirmation.
#pragma once

#include <cstddef>
#include <string>

#include "netsnap/status.h"
#include "restore/rollback.h"

namespace netsnap {

// Checks the probe parses ("tcp" host:port, "dns" name[@server[:port]], "gateway" address).
Status ValidateProbe(const Probe& probe);

// Runs one probe from inside the network namespace at `netns_path` ("" for the daemon's own),
// with a timeout of about a second. OK when it passes; otherwise says what failed.
Status RunProbe(const Probe& probe, const std::string& netns_path);

// Fills in the RFC 1071 checksum of an ICMPv4 message of `n` bytes (at least 4): bytes 2-3,
// which it zeroes first. The gateway probe's echo requests; tests build replies with it.
void SetIcmpChecksum(unsigned char* msg, size_t n);

}  // namespace netsnap
