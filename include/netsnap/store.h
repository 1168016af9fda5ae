// The versioned store: every source's history in one RocksDB database.
//
// Column families by purpose:
//   versions  source id + version           -> VersionHeader
//   content   source id + version           -> checkpoint (full snapshot) or delta to a base
//   times     source id + time + version    -> (empty), for at-or-before look-ups
//   events    time + sequence               -> event JSON (detections, audit)
//   meta      "source/NAME", "pin/…", "rb/…"-> source ids, retention pins, rollback journal
//   keylog    source id + record key + version -> the record's value then (keylog.h)
//
// Durability (docs/store.md): source ids, pins and PutMeta/DeleteMeta are synced to disk before
// they return; versions and events are synced by a background WAL sync every wal_sync_ms, so
// a power loss loses at most that much of them. A process crash loses nothing acknowledged.
//
// After a failed write (disk full, I/O error) the database is in an error state in which
// Debian's RocksDB aborts the process on the next write. The store then refuses writes
// (IOError) and, at most once a second, tries DB::Resume before the next one; WriteError()
// says why it refuses. RocksDB's own recovery is off (it waits for 64 MB free) and its info
// log goes to the daemon's log, not to a file on the full disk (docs/store.md, "Disk full").
//
// Storage grows with the size of a change: a version is stored as a delta against its parent
// until the deltas since the last checkpoint add up to half the table, then as a checkpoint.
// Every reconstruct verifies the content hash. All writes of one version are one atomic batch.
//
// Thread-safe: any number of readers and writers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "netsnap/version.h"

namespace netsnap {

struct StoreOptions {
  std::string path;
  bool sync = false;  // fsync the WAL on every write (a process crash loses nothing either way)
  // Without `sync`, versions and events reach the disk within this many milliseconds (a
  // background WAL sync); 0 leaves it to RocksDB. Meta, pins and source ids always sync.
  int wal_sync_ms = 100;
  // A checkpoint is written when the changed records since the last one exceed this share of
  // the table, or when the delta chain reaches max_chain versions.
  double checkpoint_share = 0.5;
  uint32_t max_chain = 1024;
  int zstd_level = 3;
  // Opens an existing store for reading only (a backup being verified): no write, no format
  // marker written, and no RocksDB lock taken.
  bool read_only = false;
};

// What the caller knows about a new state.
struct CommitInfo {
  int64_t time_ns = 0;
  Cause cause = Cause::kEvent;
  Actor actor;
  std::string note;
};

enum class Order { kNewestFirst, kOldestFirst };

struct VersionQuery {
  int64_t since_ns = INT64_MIN;  // inclusive
  int64_t until_ns = INT64_MAX;  // inclusive
  Order order = Order::kNewestFirst;
  size_t limit = 50;
  std::string cursor;  // from a previous page; empty for the first
};

struct VersionPage {
  std::vector<VersionHeader> versions;
  std::string next_cursor;  // empty when there is no more
};

// One stored event (a detection, an audit entry). `json` is an object the caller built.
struct StoredEvent {
  uint64_t id = 0;  // increasing
  int64_t time_ns = 0;
  std::string type;
  std::string source;
  std::string json;
};

// One entry of a record's change log: the version that added, changed or removed it.
struct KeyChange {
  uint64_t version = 0;
  std::string key;
  std::optional<std::string> value;  // absent: the version removed the record
  bool start = false;  // the record's value when the log started (version: its first version)
};

struct KeyHistoryQuery {
  std::string key_prefix;                       // records whose key starts with this
  std::function<bool(std::string_view)> match;  // and that this accepts (null: all)
  size_t limit = 100000;                        // entries at most
};

// The records one key-log read found as of a version, and the versions around it at which any
// record under the key or prefix read changed (appeared, changed or vanished).
struct AsOfRecords {
  std::vector<Record> records;  // in key order
  uint64_t last_change = 0;     // the newest change at or before the version; 0: none
  uint64_t next_change = 0;     // the oldest change after it; 0: none
  // The version is older than the change log (KeyLogStart): the records come from the
  // rebuilt version, and last_change/next_change are unknown (0).
  bool before_log = false;
};

struct RetentionPolicy {
  // Keep every version younger than keep_all_ns; then one per hour until hourly_ns; then one a
  // day until daily_ns; older versions go. Zero durations disable a tier.
  int64_t keep_all_ns = 7LL * 86400 * 1000000000;
  int64_t hourly_ns = 90LL * 86400 * 1000000000;
  int64_t daily_ns = 3650LL * 86400 * 1000000000;
};

struct RetentionResult {
  uint64_t removed = 0;
  uint64_t rewritten = 0;
};

class Store {
 public:
  static Status Open(const StoreOptions& options, std::unique_ptr<Store>* out);
  virtual ~Store() = default;

  // Records `snapshot` as the newest state of `source`. When its content equals the latest
  // version, no version is made: the latest version's last_seen moves to info.time_ns and is
  // returned. `delta`, when given, must be the changes from the latest version's content to
  // `snapshot`; it spares a comparison of the whole table.
  virtual Status Commit(const std::string& source, const Snapshot& snapshot, const Delta* delta,
                        const CommitInfo& info, VersionHeader* out) = 0;

  // Sources that have at least one version, in name order.
  virtual std::vector<std::string> Sources() = 0;
  virtual Status Latest(const std::string& source, VersionHeader* out) = 0;
  virtual Status Header(const std::string& source, uint64_t version, VersionHeader* out) = 0;
  // The newest version captured at or before time_ns; NotFound before the first.
  virtual Status AtOrBefore(const std::string& source, int64_t time_ns, VersionHeader* out) = 0;
  virtual Status ListVersions(const std::string& source, const VersionQuery& query,
                              VersionPage* out) = 0;
  // The content of a version, hash-verified.
  virtual Status Reconstruct(const std::string& source, uint64_t version, Snapshot* out) = 0;
  virtual Status DiffVersions(const std::string& source, uint64_t from, uint64_t to, Diff* out) = 0;

  // The first version the change log describes: 0 when it describes every stored version.
  // Otherwise the source has versions written before its log started (by a netsnap without
  // the log, docs/store.md): KeyHistory lists no change before that version, and ReadAsOf
  // rebuilds the versions before it.
  virtual Status KeyLogStart(const std::string& source, uint64_t* out) = 0;

  // The change log of the records `query` selects, by key then version (see keylog.h): every
  // stored version in which one of them appeared, changed or vanished. *truncated is set when
  // `limit` entries were reached. When the log starts after the oldest version (KeyLogStart),
  // a record that existed when it started comes first with `start` set: its value then, not a
  // change.
  virtual Status KeyHistory(const std::string& source, const KeyHistoryQuery& query,
                            std::vector<KeyChange>* out, bool* truncated) = 0;

  // The records whose key starts with `prefix` (equals it, when `exact`) as they were in
  // `version`, from the change log: one seek and the entries of those records, whatever the
  // table's size. `version` need not exist: the answer is that of the newest stored version at
  // or before it. Versions older than the log (KeyLogStart) are rebuilt instead.
  virtual Status ReadAsOf(const std::string& source, std::string_view prefix, bool exact,
                          uint64_t version, AsOfRecords* out) = 0;

  // Pins keep a version through retention (an open rollback refers to it).
  virtual Status Pin(const std::string& source, uint64_t version, const std::string& reason) = 0;
  virtual Status Unpin(const std::string& source, uint64_t version) = 0;
  virtual Status ApplyRetention(const std::string& source, const RetentionPolicy& policy,
                                int64_t now_ns, RetentionResult* out) = 0;

  // Events and audit entries.
  virtual Status AppendEvent(StoredEvent* event) = 0;  // assigns id; time_ns 0 means now
  // Deletes events older than before_ns, then the oldest ones beyond max_events (0: no
  // limit). An event's age is its id, which is its time unless several events shared a
  // nanosecond.
  virtual Status PruneEvents(int64_t before_ns, uint64_t max_events, uint64_t* removed) = 0;
  virtual Status ListEvents(uint64_t after_id, int64_t since_ns, size_t limit,
                            std::vector<StoredEvent>* out) = 0;

  // Small durable key/values for other modules (rollback journal, policies). Keys are
  // namespaced by the caller ("rollback/…").
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
  virtual Status GetMeta(const std::string& key, std::string* value) = 0;
  virtual Status DeleteMeta(const std::string& key) = 0;
  virtual Status ListMeta(const std::string& prefix,
                          std::vector<std::pair<std::string, std::string>>* out) = 0;

  // Bytes the database occupies on disk (SST and WAL files).
  virtual uint64_t DiskBytes() = 0;
  // Flushes memtables so that DiskBytes reflects everything written.
  virtual Status Flush() = 0;
  // Compacts every column family so that deleted records leave the disk.
  virtual Status Compact() = 0;
  // Why writes are refused (see above), "" while they are accepted.
  virtual std::string WriteError() = 0;
  // OK when writes are accepted now. While they are refused, tries DB::Resume first (at most
  // once a second, as a write would): a caller can wait for space to come back before it
  // prepares a write, e.g. a re-read of a large table.
  virtual Status CheckWritable() = 0;
  // Writes an openable copy of the whole store to `dir`, which must not exist, while commits go
  // on (RocksDB's Checkpoint: SST files hard-linked when on the same file system). The caller
  // checks `dir` first (backup_target.h). The copy holds at least every write acknowledged
  // before the call.
  virtual Status Checkpoint(const std::string& dir) = 0;
};

}  // namespace netsnap
