// The store's format marker: meta key "store_format" holds the decimal format number of the
// layout (column families, keys, encodings) that wrote the store. A build opens only the format
// it knows (kStoreFormat) and refuses any other with a message that says what to do, rather
// than misreading a store a newer build wrote or taking it for damaged.
//
// Format 1 is the layout of docs/store.md. Stores made before the marker existed are format 1:
// the marker is written into them when they are opened for writing.
#pragma once

#include <rocksdb/db.h>

#include <string>
#include <vector>

#include "netsnap/status.h"

namespace netsnap::store {

inline constexpr int kStoreFormat = 1;
inline constexpr const char* kStoreFormatKey = "store_format";

// Before the database at `path` opens: whether one exists there (*exists), and Refused when it
// is a RocksDB database that is not a netsnap store, or one with column families other than
// `known` (a newer format's).
Status CheckBeforeOpen(const std::string& path, const std::vector<std::string>& known,
                       bool* exists);

// After it opened: the marker in `meta` must be kStoreFormat (Refused otherwise). A store without
// one gets it, durably, unless `read_only`.
Status CheckFormatMarker(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                         const std::string& path, bool read_only);

}  // namespace netsnap::store
