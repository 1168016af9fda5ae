// How long an answer held: the run of consecutive versions around one version whose answer
// (reduced to a fingerprint by the caller) is the same.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "netsnap/version.h"
#include "store/store.h"

namespace netsnap::lookup {

struct Held {
  VersionHeader since;                 // the first version of the run
  std::optional<VersionHeader> until;  // the version that changed the answer; absent: the run
                                       // reaches the latest version
  // False when the walk stopped after max_walk versions on a side: the run is at least as long
  // as reported.
  bool complete = true;
};

// The answer of a snapshot, reduced to bytes that are equal exactly when the answers are.
using Fingerprint = std::function<Status(const Snapshot&, std::string*)>;

// Walks the versions of `source` back from `at` and forward from it, reconstructing each, until
// the fingerprint differs from `at_fingerprint` or max_walk versions were read on that side.
Status AnswerHeld(Store* store, const std::string& source, const VersionHeader& at,
                  const std::string& at_fingerprint, const Fingerprint& fingerprint,
                  size_t max_walk, Held* out);

}  // namespace netsnap::lookup
