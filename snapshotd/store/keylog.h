// The per-key change log: for every version, one entry per record it added, changed or
// removed, so that the history of one record is a short range scan instead of a
// reconstruction of every version.
//
// Column family `keylog`: key = source id (4 bytes BE) + record key (0x00 escaped as 0x00 0xff)
// + 0x00 0x01 + version (8 bytes BE); value = 1 and the record's new value, or 0 when the
// version removed it. One record's entries are contiguous and in version order, and the
// records under a key prefix are one range.
//
// Entries are written in the batch of the version they describe (RocksStore::WriteVersion)
// and rewritten by retention in the batch that deletes versions (TrimKeyLog), so the log
// always describes exactly the stored versions.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "store/store.h"

namespace netsnap::store {

// Adds the entries of version `version`: every record of `snapshot` when `first`, otherwise
// the changes of `delta` (already filtered of no-op changes).
void PutKeyLog(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
               uint64_t version, const Snapshot& snapshot, const Delta& delta, bool first);

// Rewrites the log of source `sid` for the versions in `kept` (ascending) only: an entry of a
// removed version moves to the next kept version when its value is still the one in effect
// there and differs from the value at the kept version before; otherwise it goes.
Status TrimKeyLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                  const std::vector<uint64_t>& kept, rocksdb::WriteBatch* batch);

// The entries of the records whose key starts with `prefix` and for which match(key) holds,
// in key order then version order; at most `limit` (then *truncated is set).
Status ReadKeyLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                  const KeyHistoryQuery& query, std::vector<KeyChange>* out, bool* truncated);

}  // namespace netsnap::store
