// The per-key change log: for every version, one entry per record it added, changed or
// removed, so that the history of one record, or the records under one key prefix as of any
// version, is a short range scan instead of a reconstruction of versions.
//
// Column family `keylog`: key = source id (4 bytes BE) + record key (0x00 escaped as 0x00 0xff)
// + 0x00 0x01 + version (8 bytes BE). One record's entries are contiguous and in version order,
// and the records under a key prefix are one range: a route key starts with kind, family,
// table, masked destination and prefix length (netsnap/route.h), so the routes of one table
// that cover an address with one prefix length are a single seek.
//
// An entry holds the record's value *before* its version, by its first byte:
//   0x03            the record did not exist
//   0x04 VALUE      VALUE
//   0x05 P S MIDDLE the value shares its first P and last S bytes (varints) with the record's
//                   value from the version on; MIDDLE is the rest
// and the value from a version on is the one before the record's next entry, or, after its
// last, its value in the latest version, which the store keeps in memory. So the records of
// the oldest version need no entries (the log holds changes only: with an entry per record of
// the first version and whole values it was 42% of the store, issue 18), and a change of one
// attribute of a route costs a few bytes.
//
// The previous build wrote the value *from* the version on (0x00 removed, 0x01 VALUE) and an
// entry per record of the first version. Such entries still read (keylog_entry.h) and come
// before any of this build's in a record; retention rewrites them in this form.
//
// Entries are written in the batch of the version they describe (RocksStore::WriteVersion)
// and rewritten by retention in the batch that deletes versions (TrimKeyLog), so the log
// always describes exactly the stored versions.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "netsnap/store.h"

namespace netsnap::store {

// The column family's options (keylog.cc gives the measured reasons).
rocksdb::ColumnFamilyOptions KeyLogCfOptions();

// Adds the entries of version `version`: the changes of `delta` (already filtered of no-op
// changes) from `base`, the previous version's content. The first version has none.
void PutKeyLog(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
               uint64_t version, const Snapshot& base, const Delta& delta);

// Rewrites the log of source `sid`, whose latest content is `latest`, for the versions in
// `kept` (ascending) only: an entry at each kept version but the oldest at which a record's
// value differs from the kept version before.
Status TrimKeyLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                  const std::vector<uint64_t>& kept, const Snapshot& latest,
                  rocksdb::WriteBatch* batch);

// What the reads need besides the log: the latest content, for ReadKeyLog the oldest stored
// version, and the first version whose changes the log holds (meta `logfrom/`): entries
// before it (retention leaves one at the kept version before) are not changes it knows.
struct KeyLogBase {
  const Snapshot& latest;
  uint64_t oldest = 0;
  uint64_t log_from = 1;
};

// The changes of the records whose key starts with `prefix` and for which match(key) holds,
// in key order then version order, a record of the oldest version appearing there; at most
// `limit` (then *truncated is set). When the log starts after the oldest version, a record
// that existed then comes first as a `start` entry at version base.log_from instead.
Status ReadKeyLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                  const KeyLogBase& base, const KeyHistoryQuery& query, std::vector<KeyChange>* out,
                  bool* truncated);

// The records under `prefix` (only the record `prefix` when `exact`) as of `version`, at or
// after base.log_from, and the nearest changes around it (Store::ReadAsOf).
Status ReadKeyLogAsOf(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                      const KeyLogBase& base, std::string_view prefix, bool exact, uint64_t version,
                      AsOfRecords* out);

}  // namespace netsnap::store
