// The encoding of key-log entries (keylog.h): one entry's key and value, a walk over a range of
// them grouped by record, and the decoding of one record's entries into the values it had.
#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/status.h"

namespace netsnap::store {

// The entry key of record `key` at `version` in source `sid`.
std::string EntryKey(uint32_t sid, std::string_view key, uint64_t version);

// The stored form of an entry written by this build: the record's value before the version
// (`before`; nullopt: it had none), as a patch of its value from the version on (`after`) when
// that is shorter.
std::string UndoValue(const std::optional<std::string_view>& before,
                      const std::optional<std::string_view>& after);

struct RawEntry {
  uint64_t version = 0;
  std::string stored;  // the stored value
};

// One record's entries, in version order.
struct RecordLog {
  std::string key;
  std::vector<RawEntry> entries;
};

// Calls visit(log) for each record of source `sid` whose key starts with `prefix` (only the
// record `prefix`, when `exact`) and that has entries, in key order, until it returns false.
Status WalkRecords(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                   std::string_view prefix, bool exact,
                   const std::function<bool(const RecordLog&)>& visit);

// The values of one record over time, decoded from its entries and its value in the latest
// version (`latest`, nullopt: absent there).
struct Timeline {
  std::optional<std::string> before;  // the value before the first entry
  // Per entry: its version and the record's value from that version until the next entry.
  std::vector<std::pair<uint64_t, std::optional<std::string>>> after;

  // The value in effect at `version`.
  const std::optional<std::string>& At(uint64_t version) const;
};
Status DecodeTimeline(const RecordLog& log, const std::optional<std::string_view>& latest,
                      Timeline* out);

}  // namespace netsnap::store
