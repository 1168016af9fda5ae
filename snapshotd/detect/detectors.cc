#include "detect/detector.h"

namespace netsnap {

namespace {

// One line per detector.
constexpr DetectorEntry kDetectors[] = {
    {"mass_deletion", &NewMassDeletionDetector}, {"protected", &NewProtectedRecordsDetector},
    {"overwrite", &NewOverwriteDetector},        {"orphaned_rule", &NewOrphanedRulesDetector},
    {"edit_war", &NewEditWarDetector},
};

}  // namespace

std::span<const DetectorEntry> AllDetectors() { return kDetectors; }

Finding NewFinding(std::string kind, const VersionCommitted& v) {
  Finding f;
  f.kind = std::move(kind);
  f.before_version = v.previous.version;
  f.after_version = v.current.version;
  f.actor = v.current.actor;
  return f;
}

}  // namespace netsnap
