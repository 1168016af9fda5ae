#include "netsnap/version.h"

namespace netsnap {

std::string_view CauseName(Cause c) {
  switch (c) {
    case Cause::kStartup: return "startup";
    case Cause::kPeriodic: return "periodic";
    case Cause::kEvent: return "event";
    case Cause::kManual: return "manual";
    case Cause::kRollback: return "rollback";
    case Cause::kRestore: return "restore";
  }
  return "unknown";
}

std::optional<Cause> CauseFromName(std::string_view name) {
  for (int c = 1; c <= 6; ++c) {
    if (CauseName(static_cast<Cause>(c)) == name) return static_cast<Cause>(c);
  }
  return std::nullopt;
}

}  // namespace netsnap
