// The RocksDB implementation of Store (store.h). Internal to the store module.
#pragma once

#include <rocksdb/db.h>

#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/content_codec.h"
#include "store/store.h"

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
  };

  Status LoadSources();
  // The id of `source`, creating it when `create`; NotFound otherwise.
  Status SourceId(const std::string& source, bool create, uint32_t* sid);
  // Writes `h` to the version headers and, as a copy that pages read in one scan, to the time
  // index.
  void PutHeader(rocksdb::WriteBatch* batch, uint32_t sid, const VersionHeader& h);
  Status ReadHeader(uint32_t sid, uint64_t version, VersionHeader* out);
  Status ReadContent(uint32_t sid, uint64_t version, std::string* out);
  // Reconstructs without verifying against the header hash or consulting the cache.
  Status Rebuild(uint32_t sid, uint64_t version, Snapshot* out);
  Status ReconstructSid(uint32_t sid, uint64_t version, Snapshot* out);
  // What reads of the key log need besides it (keylog.h): the source id, the latest content
  // (kept in the tip once rebuilt) and, unless `oldest` is null, the oldest stored version.
  Status KeyLogInputs(const std::string& source, uint32_t* sid, Snapshot* latest, uint64_t* oldest);
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
  Status Write(rocksdb::WriteBatch* batch, bool durable, const std::string& what);
  // Whether writes may go to RocksDB now, trying DB::Resume when they may not; io_mu_ held.
  Status Writable();
  // Syncs the WAL every options_.wal_sync_ms while there are unsynced writes.
  void SyncLoop();

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
  // until DB::Resume succeeded.
  std::mutex io_mu_;
  std::string write_error_;     // guarded by io_mu_; "" while writes are accepted
  int64_t last_resume_ns_ = 0;  // guarded by io_mu_; monotonic
  bool unsynced_ = false;       // guarded by io_mu_
  bool stopping_ = false;       // guarded by io_mu_
  std::condition_variable sync_cv_;
  std::thread sync_thread_;

  std::mutex write_mu_;  // serialises commits, retention and event appends
  std::mutex tips_mu_;   // guards tips_ and names_ for readers
  std::map<std::string, SourceTip> tips_;
  uint32_t next_sid_ = 1;
  uint64_t last_event_id_ = 0;

  std::mutex cache_mu_;
  std::list<std::pair<std::pair<uint32_t, uint64_t>, Snapshot>> cache_;  // most recent first
};

}  // namespace netsnap::store
