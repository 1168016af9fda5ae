// A finding: one kind of damage a detector saw in one new version of a source, with the records
// involved, what a restore would put back, and who did it.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netsnap/version.h"

namespace netsnap {

struct DamagedRecord {
  std::string key;
  std::optional<std::string> before;  // nullopt: the record was not there
  std::optional<std::string> after;   // nullopt: the record is gone
  // before == after: a record shown for context (a rule pointing to an emptied table).
};

struct Finding {
  std::string kind;     // mass_deletion, protected, overwrite, orphaned_rule, edit_war
  std::string summary;  // one line for people
  std::vector<DamagedRecord> records;
  // Sorted, unique record keys a restore puts back; empty when the finding is an alert only.
  std::vector<std::string> restore_keys;
  uint64_t before_version = 0;  // the last version before the damage
  uint64_t after_version = 0;
  Actor actor;
  boost::json::object details;  // detector-specific (table, share, flips, ...)
};

// At most this many records are rendered into an event; counts cover all of them.
inline constexpr size_t kMaxEventRecords = 100;

// The event fields: {kind, summary, records: [...], counts: {...}, truncated, versions:
// {before, after}, actor: {pid, process, cmdline}, details...}. Records render with
// RecordToJson plus "change" (added, removed, changed, unchanged) and, when changed, "previous".
boost::json::object FindingToJson(const Finding& f);
boost::json::object ActorToJson(const Actor& a);

// Sorts and de-duplicates keys.
void SortUnique(std::vector<std::string>* keys);

}  // namespace netsnap
