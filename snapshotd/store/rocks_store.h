// The RocksDB implementation of Store (store.h). Internal to the store module.
#pragma once

#include <rocksdb/db.h>

#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "netsnap/store.h"
#include "store/content_codec.h"

namespace netsnap::store {

class RocksStore : public Store {
 public:
  explicit RocksStore(const StoreOptions& options);
  ~RocksStore() override;
  Status OpenDb();

  Status Commit(const std::string& source, const Snapshot& snapshot, const Delta* delta,
                const CommitInfo& info, VersionHeader* out) override;
  std::vector<std::string> Sources() override;
  Status Latest(const std::string& source, VersionHeader* out) override;
  Status Header(const std::string& source, uint64_t version, VersionHeader* out) override;
  Status AtOrBefore(const std::string& source, int64_t time_ns, VersionHeader* out) override;
  Status ListVersions(const std::string& source, const VersionQuery& query,
                      VersionPage* out) override;
  Status Reconstruct(const std::string& source, uint64_t version, Snapshot* out) override;
  Status DiffVersions(const std::string& source, uint64_t from, uint64_t to, Diff* out) override;
  Status KeyLogStart(const std::string& source, uint64_t* out) override;
  Status KeyHistory(const std::string& source, const KeyHistoryQuery& query,
                    std::vector<KeyChange>* out, bool* truncated) override;
  Status ReadAsOf(const std::string& source, std::string_view prefix, bool exact, uint64_t version,
                  AsOfRecords* out) override;
  Status Pin(const std::string& source, uint64_t version, const std::string& reason) override;
  Status Unpin(const std::string& source, uint64_t version) override;
  Status ApplyRetention(const std::string& source, const RetentionPolicy& policy, int64_t now_ns,
                        RetentionResult* out) override;
  Status AppendEvent(StoredEvent* event) override;
  Status ListEvents(uint64_t after_id, int64_t since_ns, size_t limit,
                    std::vector<StoredEvent>* out) override;
  Status PutMeta(const std::string& key, const std::string& value) override;
  Status GetMeta(const std::string& key, std::string* value) override;
  Status DeleteMeta(const std::string& key) override;
  Status ListMeta(const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>* out) override;
  Status PruneEvents(int64_t before_ns, uint64_t max_events, uint64_t* removed) override;
  uint64_t DiskBytes() override;
  Status Flush() override;
  Status Compact() override;
  std::string WriteError() override;
  Status CheckWritable() override;
  Status Checkpoint(const std::string& dir) override;  // checkpoint.cc

 private:
  // What the store keeps in memory about each source's newest version.
  struct SourceTip {
    uint32_t sid = 0;
    VersionHeader latest;  // version 0: none yet
    ContentMeta meta;      // of the latest version's content
    Snapshot snapshot;     // the latest content, when known
    bool have_snapshot = false;
    // The first version whose changes the key log holds (meta `logfrom/SID`): versions before
    // it were written by a netsnap without the log.
    uint64_t log_from = 1;
  };
  // What reads of the key log need besides it (keylog.h).
  struct LogInputs {
    uint32_t sid = 0;
    uint64_t latest_version = 0;
    Snapshot latest;  // the latest content (kept in the tip once rebuilt)
    uint64_t log_from = 1;
  };

  Status LoadSources() EXCLUDES(write_mu_, tips_mu_);
  // The id of `source`; NotFound when it has none.
  Status SourceId(const std::string& source, uint32_t* sid) EXCLUDES(tips_mu_);
  // The id of `source`, made (durably) when it has none.
  Status MakeSourceId(const std::string& source, uint32_t* sid) REQUIRES(write_mu_)
      EXCLUDES(tips_mu_);
  // Writes `h` to the version headers and, as a copy that pages read in one scan, to the time
  // index.
  void PutHeader(rocksdb::WriteBatch* batch, uint32_t sid, const VersionHeader& h);
  Status ReadHeader(uint32_t sid, uint64_t version, VersionHeader* out);
  Status ReadContent(uint32_t sid, uint64_t version, std::string* out);
  // Reconstructs without verifying against the header hash or consulting the cache.
  Status Rebuild(uint32_t sid, uint64_t version, Snapshot* out);
  Status ReconstructSid(uint32_t sid, uint64_t version, Snapshot* out);
  Status KeyLogInputs(const std::string& source, LogInputs* out);
  // The oldest stored version of source `sid`.
  Status OldestVersion(uint32_t sid, uint64_t* out);
  // The records under `prefix` in the newest stored version at or before `version`, rebuilt:
  // ReadAsOf before the key log starts.
  Status ReadRebuilt(const LogInputs& in, std::string_view prefix, bool exact, uint64_t version,
                     AsOfRecords* out);
  // Drops no-op changes from `delta` against `base` and counts the rest; returns the hash the
  // result will have.
  ContentHash FilterDelta(const Snapshot& base, Delta* delta, DiffCounts* counts);
  // The content metadata of the version after `tip` with `counts` changes: a delta on the
  // previous version, or a checkpoint when the chain or the changes since the last one grow
  // past the options' limits.
  ContentMeta NextMeta(const SourceTip& tip, const DiffCounts& counts, size_t records) const;
  Status WriteVersion(SourceTip* tip, const Snapshot& snapshot, const Delta& delta,
                      const DiffCounts& counts, const CommitInfo& info, VersionHeader* out);
  bool IsPinned(uint32_t sid, uint64_t version);
  void CachePut(uint32_t sid, uint64_t version, const Snapshot& snap);
  bool CacheGet(uint32_t sid, uint64_t version, Snapshot* snap);
  Status FromRocks(const rocksdb::Status& s, const std::string& what);
  // Every write goes through here (see store.h on failed writes). `durable`: synced before it
  // returns; otherwise within options_.wal_sync_ms.
  Status Write(rocksdb::WriteBatch* batch, bool durable, const std::string& what) EXCLUDES(io_mu_);
  // Whether writes may go to RocksDB now, trying DB::Resume when they may not; io_mu_ held.
  Status Writable() REQUIRES(io_mu_);
  // Syncs the WAL every options_.wal_sync_ms while there are unsynced writes.
  void SyncLoop() EXCLUDES(io_mu_);

  class RecoveryListener;

  StoreOptions options_;
  std::shared_ptr<RecoveryListener> recovery_;  // registered with RocksDB before it opens
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* versions_ = nullptr;
  rocksdb::ColumnFamilyHandle* content_ = nullptr;
  rocksdb::ColumnFamilyHandle* times_ = nullptr;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* keylog_ = nullptr;
  rocksdb::WriteOptions write_options_;
  rocksdb::WriteOptions durable_options_;

  // Serialises every write to RocksDB with the error latch: no write may follow a failed one
  // until DB::Resume succeeded. Lock order: write_mu_, then tips_mu_ or io_mu_ (never both).
  Mutex io_mu_;
  std::string write_error_ GUARDED_BY(io_mu_);     // "" while writes are accepted
  int64_t last_resume_ns_ GUARDED_BY(io_mu_) = 0;  // monotonic
  bool unsynced_ GUARDED_BY(io_mu_) = false;
  bool stopping_ GUARDED_BY(io_mu_) = false;
  CondVar sync_cv_;
  std::thread sync_thread_;

  Mutex write_mu_;  // serialises commits, retention and event appends
  uint32_t next_sid_ GUARDED_BY(write_mu_) = 1;
  uint64_t last_event_id_ GUARDED_BY(write_mu_) = 0;
  Mutex tips_mu_;
  std::map<std::string, SourceTip> tips_ GUARDED_BY(tips_mu_);

  Mutex cache_mu_;
  // Most recent first.
  std::list<std::pair<std::pair<uint32_t, uint64_t>, Snapshot>> cache_ GUARDED_BY(cache_mu_);
};

}  // namespace netsnap::store
