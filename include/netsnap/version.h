// Versions: stored snapshots of one source, numbered 1, 2, 3… per source.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "netsnap/record.h"

namespace netsnap {

// Why a version was captured.
enum class Cause : uint8_t {
  kStartup = 1,
  kPeriodic = 2,
  kEvent = 3,
  kManual = 4,
  kRollback = 5,
  kRestore = 6,
};
std::string_view CauseName(Cause c);  // "startup", "periodic", ...
std::optional<Cause> CauseFromName(std::string_view name);

// Who made a change, when known. pid 0 means unknown.
struct Actor {
  int32_t pid = 0;
  std::string process;  // /proc/PID/comm
  std::string cmdline;  // /proc/PID/cmdline, arguments joined by spaces
  bool known() const { return pid != 0 || !process.empty(); }
  bool operator==(const Actor&) const = default;
};

struct VersionHeader {
  uint64_t version = 0;       // 1, 2, 3… per source
  int64_t time_ns = 0;        // capture time, nanoseconds since the Unix epoch, UTC
  int64_t last_seen_ns = 0;   // last time the same content was seen
  Cause cause = Cause::kStartup;
  ContentHash hash;
  uint64_t records = 0;
  DiffCounts diff;            // against the previous version (all added for version 1)
  Actor actor;
  std::string note;           // free text, e.g. the rollback id that produced it
  bool operator==(const VersionHeader& o) const {
    return version == o.version && time_ns == o.time_ns && last_seen_ns == o.last_seen_ns &&
           cause == o.cause && hash == o.hash && records == o.records &&
           diff.added == o.diff.added && diff.removed == o.diff.removed &&
           diff.changed == o.diff.changed && actor == o.actor && note == o.note;
  }
};

}  // namespace netsnap
