// The detector interface and the list of detectors. A detector looks at each new version of
// one source that the daemon did not make itself and reports damage as findings. Each source
// has its own detector instances, so a detector may keep state across versions (windows,
// histories); all calls come from the detection thread, in version order.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/recorder.h"
#include "detect/finding.h"
#include "detect/policy.h"
#include "detect/source_view.h"

namespace netsnap {

struct DetectContext {
  const DetectPolicy& policy;
  const SourceView& view;  // already advanced to the version
  const Diff& diff;        // v.before -> v.after
  // When the version's change was captured, on the monotonic clock (DetectionInbox::Entry::
  // changed_mono_ns): windows are differences of these, which a wall-clock step hardly moves.
  int64_t now_ns;
};

class Detector {
 public:
  virtual ~Detector() = default;
  // Appends what it finds in `v` to *out; findings carry v's versions and actor.
  virtual void Inspect(const VersionCommitted& v, const DetectContext& ctx,
                       std::vector<Finding>* out) = 0;
  // Forgets windows and histories (after a pause or a policy change).
  virtual void Reset() {}
};

struct DetectorEntry {
  std::string_view name;  // also the kind of most of its findings
  std::unique_ptr<Detector> (*make)();
};

// Every detector, in the order they run.
std::span<const DetectorEntry> AllDetectors();

// Factories, one per file.
std::unique_ptr<Detector> NewMassDeletionDetector();
std::unique_ptr<Detector> NewProtectedRecordsDetector();
std::unique_ptr<Detector> NewOverwriteDetector();
std::unique_ptr<Detector> NewOrphanedRulesDetector();
std::unique_ptr<Detector> NewEditWarDetector();

// A finding of `kind` for version `v` with its versions and actor filled in.
Finding NewFinding(std::string kind, const VersionCommitted& v);

}  // namespace netsnap
