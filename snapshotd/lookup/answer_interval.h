// How long an answer held: the run of versions around one version whose answer (reduced to a
// fingerprint by the caller) is the same.
//
// Exact and cheap with the key log: an answer computed from records read as of a version can
// change only at a version where one of those records changed (KeyLogReader's last and next
// change). Each such version is asked again; the run ends at the first whose answer differs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "netsnap/status.h"
#include "netsnap/store.h"
#include "netsnap/version.h"

namespace netsnap::lookup {

// The answer as of one version: bytes equal exactly when the answers are, and the nearest
// versions around it at which something the answer read changed (0: none).
struct AsOfAnswer {
  std::string fingerprint;
  uint64_t last_change = 0;
  uint64_t next_change = 0;
  bool before_log = false;  // asked of a version older than the change log (KeyLogReader)
};
using Evaluate = std::function<Status(uint64_t version, AsOfAnswer* out)>;

struct Held {
  VersionHeader since;                 // the first version of the run
  std::optional<VersionHeader> until;  // the version that changed the answer; absent: the run
                                       // reaches the latest version
  // False when a side stopped after max_steps changes that did not change the answer: the run
  // is at least as long as reported.
  bool complete = true;
};

// The run around `at`, whose answer is `answer`. The change log does not tell where an answer
// changed before it starts (Store::KeyLogStart): a side that reaches a version older than the
// log stops there, incomplete, and an answer older than the log holds for `at` only, with an
// unknown end.
Status AnswerHeld(Store* store, const std::string& source, const VersionHeader& at,
                  const AsOfAnswer& answer, const Evaluate& evaluate, size_t max_steps, Held* out);

}  // namespace netsnap::lookup
