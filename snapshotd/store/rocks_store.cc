#include "store/rocks_store.h"

#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <utility>

#include "common/coding.h"
#include "netsnap/time.h"
#include "store/keylog.h"
#include "store/rocks_logger.h"
#include "store/store_format.h"
#include "store/version_codec.h"

namespace netsnap {

Status Store::Open(const StoreOptions& options, std::unique_ptr<Store>* out) {
  auto s = std::make_unique<store::RocksStore>(options);
  NETSNAP_RETURN_IF_ERROR(s->OpenDb());
  *out = std::move(s);
  return Status::OK();
}

namespace store {

namespace {

constexpr size_t kCacheEntries = 4;
// After a failed write, DB::Resume is tried at most this often (a full disk stays full for a
// while; each attempt flushes memtables).
constexpr int64_t kResumeEveryNs = 1000000000;
const std::string kSidPrefix = "sid/";
const std::string kPinPrefix = "pin/";

rocksdb::ColumnFamilyOptions CfOptions(bool compress) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_size = 16 * 1024;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  // Content is compressed by the store itself; small records compress in blocks.
  o.compression = compress ? rocksdb::kZSTD : rocksdb::kNoCompression;
  return o;
}

std::string PinKey(uint32_t sid, uint64_t version) { return kPinPrefix + VersionKey(sid, version); }

}  // namespace

// Turns off RocksDB's own recovery from a full disk, so that Writable()'s DB::Resume is the
// only way back. RocksDB's recovery (its SstFileManager, polling every 5 s) waits for free space
// of a whole write buffer (64 MB), and while it waits DB::Resume answers Busy: a store on a
// small or nearly full file system never recovered, however much space came back.
// It also keeps errors of background work (a flush or compaction on a full disk) for Writable():
// without RocksDB's recovery nothing else would resume the compactions they stop.
// Called by RocksDB, with its own mutex held and maybe inside Write (io_mu_ held): takes only mu_.
class RocksStore::RecoveryListener : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    if (error->ok()) return;
    MutexLock l(&mu_);
    if (error_.empty()) error_ = "background work: " + error->ToString();
  }
  // The first background error since the last call, "" when none.
  std::string Take() {
    MutexLock l(&mu_);
    return std::exchange(error_, std::string());
  }

 private:
  Mutex mu_;
  std::string error_ GUARDED_BY(mu_);
};

RocksStore::RocksStore(const StoreOptions& options)
    : options_(options), recovery_(std::make_shared<RecoveryListener>()) {}

RocksStore::~RocksStore() {
  {
    MutexLock l(&io_mu_);
    stopping_ = true;
  }
  sync_cv_.SignalAll();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

Status RocksStore::FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(what);
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

Status RocksStore::OpenDb() {
  if (!options_.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(options_.path, ec);
    if (ec) return Status::IOError("cannot create " + options_.path + ": " + ec.message());
  }
  rocksdb::DBOptions dbo;
  dbo.create_if_missing = !options_.read_only;
  dbo.create_missing_column_families = true;
  dbo.IncreaseParallelism(2);
  UseDaemonInfoLog(&dbo);
  dbo.listeners.push_back(recovery_);
  dbo.max_total_wal_size = 256 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, CfOptions(true)},
      {"versions", CfOptions(true)},
      {"content", CfOptions(false)},
      {"times", CfOptions(true)},
      {"events", CfOptions(true)},
      {"meta", CfOptions(true)},
      {"keylog", KeyLogCfOptions()},
  };
  std::vector<std::string> known;
  for (const auto& cf : cfs) known.push_back(cf.name);
  bool exists = false;
  NETSNAP_RETURN_IF_ERROR(CheckBeforeOpen(options_.path, known, &exists));
  if (options_.read_only && !exists) return Status::NotFound("no store at " + options_.path);
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = options_.read_only
                          ? rocksdb::DB::OpenForReadOnly(dbo, options_.path, cfs, &handles_, &db)
                          : rocksdb::DB::Open(dbo, options_.path, cfs, &handles_, &db);
  if (!s.ok())
    return Status::IOError("cannot open store at " + options_.path + ": " + s.ToString());
  db_.reset(db);
  versions_ = handles_[1];
  content_ = handles_[2];
  times_ = handles_[3];
  events_ = handles_[4];
  meta_ = handles_[5];
  keylog_ = handles_[6];
  write_options_.sync = options_.sync;
  durable_options_.sync = true;
  NETSNAP_RETURN_IF_ERROR(CheckFormatMarker(db_.get(), meta_, options_.path, options_.read_only));
  NETSNAP_RETURN_IF_ERROR(LoadSources());
  if (!options_.sync && options_.wal_sync_ms > 0 && !options_.read_only)
    sync_thread_ = std::thread([this] { SyncLoop(); });
  return Status::OK();
}

Status RocksStore::LoadSources() {
  std::map<std::string, SourceTip> tips;
  uint32_t next_sid = 1;
  rocksdb::WriteBatch markers;  // for sources whose versions predate the key log
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek(kSidPrefix); it->Valid() && it->key().starts_with(kSidPrefix); it->Next()) {
    if (it->value().size() != 4) return Status::Corruption("bad source id record");
    SourceTip tip;
    tip.sid = DecodeFixed32BE(it->value().data());
    next_sid = std::max(next_sid, tip.sid + 1);
    // The newest version is the last key with this source's prefix.
    std::unique_ptr<rocksdb::Iterator> v(db_->NewIterator(rocksdb::ReadOptions(), versions_));
    v->SeekForPrev(VersionKey(tip.sid, UINT64_MAX));
    uint32_t sid;
    uint64_t version;
    if (v->Valid() && ParseVersionKey(v->key().ToStringView(), &sid, &version) && sid == tip.sid) {
      NETSNAP_RETURN_IF_ERROR(DecodeHeader(v->value().ToStringView(), &tip.latest));
      std::string content;
      NETSNAP_RETURN_IF_ERROR(ReadContent(tip.sid, version, &content));
      NETSNAP_RETURN_IF_ERROR(DecodeContentMeta(content, &tip.meta));
    }
    std::string from;
    rocksdb::Status fs = db_->Get(rocksdb::ReadOptions(), meta_, LogFromKey(tip.sid), &from);
    if (fs.ok() && from.size() == 8) {
      tip.log_from = DecodeFixed64BE(from.data());
    } else if (fs.IsNotFound()) {
      // Written by a netsnap without the key log: the log starts with the next version.
      tip.log_from = tip.latest.version + 1;
      markers.Put(meta_, LogFromKey(tip.sid), LogFromValue(tip.log_from));
    } else {
      NETSNAP_RETURN_IF_ERROR(FromRocks(fs, "read the key log's start"));
      return Status::Corruption("bad key log start record");
    }
    tips.emplace(it->key().ToString().substr(kSidPrefix.size()), std::move(tip));
  }
  std::unique_ptr<rocksdb::Iterator> e(db_->NewIterator(rocksdb::ReadOptions(), events_));
  e->SeekToLast();
  uint64_t last_event = 0;
  if (e->Valid() && e->key().size() == 8) last_event = DecodeFixed64BE(e->key().data());
  if (markers.Count() > 0 && !options_.read_only) {
    NETSNAP_RETURN_IF_ERROR(Write(&markers, true, "write the key log's start"));
  }
  MutexLock w(&write_mu_);
  next_sid_ = next_sid;
  last_event_id_ = last_event;
  MutexLock l(&tips_mu_);
  tips_ = std::move(tips);
  return Status::OK();
}

Status RocksStore::SourceId(const std::string& source, uint32_t* sid) {
  MutexLock l(&tips_mu_);
  auto it = tips_.find(source);
  if (it == tips_.end()) return Status::NotFound("no source named '" + source + "'");
  *sid = it->second.sid;
  return Status::OK();
}

Status RocksStore::MakeSourceId(const std::string& source, uint32_t* sid) {
  Status s = SourceId(source, sid);
  if (!s.IsNotFound()) return s;
  if (source.empty() || source.size() > 200) {
    return Status::InvalidArgument("source names are 1 to 200 bytes");
  }
  std::string v;
  PutFixed32BE(&v, next_sid_);
  rocksdb::WriteBatch batch;
  batch.Put(meta_, kSidPrefix + source, v);
  batch.Put(meta_, LogFromKey(next_sid_), LogFromValue(1));  // a new source: logged throughout
  NETSNAP_RETURN_IF_ERROR(Write(&batch, true, "write source id"));
  SourceTip tip;
  tip.sid = next_sid_++;
  MutexLock l(&tips_mu_);
  tips_.emplace(source, tip);
  *sid = tip.sid;
  return Status::OK();
}

// Commits ----------------------------------------------------------------------------------

ContentHash RocksStore::FilterDelta(const Snapshot& base, Delta* delta, DiffCounts* counts) {
  ContentHash h = base.hash();
  size_t w = 0;
  for (size_t r = 0; r < delta->size(); ++r) {
    Change& c = (*delta)[r];
    auto old = base.Find(c.key);
    if (!c.value) {
      if (!old) continue;
      ++counts->removed;
      h.Sub(ContentHash::Of(old->key, old->value));
    } else if (!old) {
      ++counts->added;
      h.Add(ContentHash::Of(c.key, *c.value));
    } else if (old->value != *c.value) {
      ++counts->changed;
      h.Sub(ContentHash::Of(old->key, old->value));
      h.Add(ContentHash::Of(c.key, *c.value));
    } else {
      continue;
    }
    if (w != r) (*delta)[w] = std::move(c);
    ++w;
  }
  delta->resize(w);
  return h;
}

Status RocksStore::Commit(const std::string& source, const Snapshot& snapshot, const Delta* delta,
                          const CommitInfo& info, VersionHeader* out) {
  MutexLock wl(&write_mu_);
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(MakeSourceId(source, &sid));
  SourceTip tip;
  {
    MutexLock l(&tips_mu_);
    tip = tips_[source];
  }
  int64_t now = info.time_ns ? info.time_ns : NowNs();

  if (tip.latest.version && tip.latest.hash == snapshot.hash() &&
      tip.latest.records == snapshot.size()) {
    // Same content: only the last-seen time moves.
    tip.latest.last_seen_ns = std::max(tip.latest.last_seen_ns, now);
    rocksdb::WriteBatch batch;
    PutHeader(&batch, sid, tip.latest);
    NETSNAP_RETURN_IF_ERROR(Write(&batch, false, "write version header"));
    MutexLock l(&tips_mu_);
    tips_[source].latest = tip.latest;
    *out = tip.latest;
    return Status::OK();
  }

  Delta changes;
  DiffCounts counts;
  if (tip.latest.version == 0) {
    counts.added = snapshot.size();
  } else {
    if (!tip.have_snapshot) {
      NETSNAP_RETURN_IF_ERROR(ReconstructSid(sid, tip.latest.version, &tip.snapshot));
      tip.have_snapshot = true;  // WriteVersion writes the key log against it
    }
    const Snapshot& base = tip.snapshot;
    bool trusted = false;
    if (delta) {
      changes = *delta;
      NormalizeDelta(&changes);
      // A delta that does not lead to `snapshot` is not trusted: compare whole tables instead.
      trusted = FilterDelta(base, &changes, &counts) == snapshot.hash();
    }
    if (!trusted) {
      // One comparison of the whole tables gives both the changes (the key log needs them,
      // checkpoint or not) and their counts.
      changes = ComputeDelta(base, snapshot);
      counts = DiffCounts{};
      FilterDelta(base, &changes, &counts);
    }
  }
  CommitInfo ci = info;
  ci.time_ns = now;
  NETSNAP_RETURN_IF_ERROR(WriteVersion(&tip, snapshot, changes, counts, ci, out));
  MutexLock l(&tips_mu_);
  tips_[source] = std::move(tip);
  return Status::OK();
}

ContentMeta RocksStore::NextMeta(const SourceTip& tip, const DiffCounts& counts,
                                 size_t records) const {
  if (tip.latest.version == 0) return ContentMeta{};
  ContentMeta meta;
  meta.checkpoint = false;
  meta.base = tip.latest.version;
  meta.chain = tip.meta.chain + 1;
  meta.since_checkpoint =
      tip.meta.since_checkpoint + counts.added + counts.removed + counts.changed;
  bool checkpoint = meta.chain > options_.max_chain ||
                    static_cast<double>(meta.since_checkpoint) >
                        options_.checkpoint_share * static_cast<double>(records + 16);
  return checkpoint ? ContentMeta{} : meta;
}

Status RocksStore::WriteVersion(SourceTip* tip, const Snapshot& snapshot, const Delta& delta,
                                const DiffCounts& counts, const CommitInfo& info,
                                VersionHeader* out) {
  VersionHeader h;
  h.version = tip->latest.version + 1;
  h.time_ns = info.time_ns;
  h.last_seen_ns = info.time_ns;
  h.cause = info.cause;
  h.hash = snapshot.hash();
  h.records = snapshot.size();
  h.diff = counts;
  h.actor = info.actor;
  h.note = info.note;

  const ContentMeta meta = NextMeta(*tip, counts, snapshot.size());
  std::string content = meta.checkpoint ? EncodeCheckpoint(snapshot, meta, options_.zstd_level)
                                        : EncodeDelta(delta, meta, options_.zstd_level);

  rocksdb::WriteBatch batch;
  PutHeader(&batch, tip->sid, h);
  batch.Put(content_, VersionKey(tip->sid, h.version), content);
  PutKeyLog(&batch, keylog_, tip->sid, h.version, tip->snapshot, delta);
  NETSNAP_RETURN_IF_ERROR(Write(&batch, false, "write version"));
  tip->latest = h;
  tip->meta = meta;
  tip->snapshot = snapshot;
  tip->have_snapshot = true;
  *out = h;
  return Status::OK();
}

// Reads ------------------------------------------------------------------------------------

std::vector<std::string> RocksStore::Sources() {
  MutexLock l(&tips_mu_);
  std::vector<std::string> names;
  for (const auto& [name, tip] : tips_) {
    if (tip.latest.version) names.push_back(name);
  }
  return names;
}

Status RocksStore::Latest(const std::string& source, VersionHeader* out) {
  MutexLock l(&tips_mu_);
  auto it = tips_.find(source);
  if (it == tips_.end() || it->second.latest.version == 0) {
    return Status::NotFound("source '" + source + "' has no versions");
  }
  *out = it->second.latest;
  return Status::OK();
}

void RocksStore::PutHeader(rocksdb::WriteBatch* batch, uint32_t sid, const VersionHeader& h) {
  std::string header = EncodeHeader(h);
  batch->Put(versions_, VersionKey(sid, h.version), header);
  batch->Put(times_, TimeKey(sid, h.time_ns, h.version), header);
}

Status RocksStore::ReadHeader(uint32_t sid, uint64_t version, VersionHeader* out) {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), versions_, VersionKey(sid, version), &v);
  if (s.IsNotFound()) return Status::NotFound("no version " + std::to_string(version));
  NETSNAP_RETURN_IF_ERROR(FromRocks(s, "read version header"));
  return DecodeHeader(v, out);
}

Status RocksStore::Header(const std::string& source, uint64_t version, VersionHeader* out) {
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(SourceId(source, &sid));
  Status s = ReadHeader(sid, version, out);
  if (s.IsNotFound()) {
    return Status::NotFound("source '" + source + "' has no version " + std::to_string(version));
  }
  return s;
}

Status RocksStore::AtOrBefore(const std::string& source, int64_t time_ns, VersionHeader* out) {
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(SourceId(source, &sid));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), times_));
  it->SeekForPrev(TimeKey(sid, time_ns, UINT64_MAX));
  uint32_t s;
  int64_t t;
  uint64_t v;
  if (!it->Valid() || !ParseTimeKey(it->key().ToStringView(), &s, &t, &v) || s != sid) {
    return Status::NotFound("source '" + source + "' has no version at or before " +
                            FormatTime(time_ns));
  }
  return ReadHeader(sid, v, out);
}

Status RocksStore::ListVersions(const std::string& source, const VersionQuery& q,
                                VersionPage* out) {
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(SourceId(source, &sid));
  out->versions.clear();
  out->next_cursor.clear();
  size_t limit = std::clamp<size_t>(q.limit, 1, 1000);
  bool newest = q.order == Order::kNewestFirst;
  // A cursor is the hex of the times-index key to resume at.
  std::string start;
  if (!q.cursor.empty()) {
    if (q.cursor.size() != 40 || !HexDecode(q.cursor, &start)) {
      return Status::InvalidArgument("bad cursor");
    }
    uint32_t s;
    int64_t t;
    uint64_t v;
    if (!ParseTimeKey(start, &s, &t, &v) || s != sid) return Status::InvalidArgument("bad cursor");
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), times_));
  if (newest) {
    it->SeekForPrev(start.empty() ? TimeKey(sid, q.until_ns, UINT64_MAX) : start);
  } else {
    it->Seek(start.empty() ? TimeKey(sid, q.since_ns, 0) : start);
  }
  for (; it->Valid(); newest ? it->Prev() : it->Next()) {
    uint32_t s;
    int64_t t;
    uint64_t v;
    if (!ParseTimeKey(it->key().ToStringView(), &s, &t, &v) || s != sid) break;
    if (t < q.since_ns || t > q.until_ns) break;
    if (out->versions.size() == limit) {
      out->next_cursor = HexEncode(it->key().ToStringView());
      break;
    }
    VersionHeader h;
    if (it->value().empty()) {
      // Written before the index held a copy of the header.
      NETSNAP_RETURN_IF_ERROR(ReadHeader(sid, v, &h));
    } else {
      NETSNAP_RETURN_IF_ERROR(DecodeHeader(it->value().ToStringView(), &h));
    }
    out->versions.push_back(std::move(h));
  }
  return FromRocks(it->status(), "list versions");
}

Status RocksStore::ReadContent(uint32_t sid, uint64_t version, std::string* out) {
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), content_, VersionKey(sid, version), out);
  if (s.IsNotFound()) {
    return Status::Corruption("content of version " + std::to_string(version) + " is missing");
  }
  return FromRocks(s, "read content");
}

Status RocksStore::Rebuild(uint32_t sid, uint64_t version, Snapshot* out) {
  // Walk back to the checkpoint, collecting deltas newest first.
  std::vector<Delta> deltas;
  Snapshot base;
  uint64_t v = version;
  for (;;) {
    std::string content;
    NETSNAP_RETURN_IF_ERROR(ReadContent(sid, v, &content));
    ContentMeta meta;
    Delta d;
    Snapshot snap;
    NETSNAP_RETURN_IF_ERROR(DecodeContent(content, &meta, &snap, &d));
    if (meta.checkpoint) {
      base = std::move(snap);
      break;
    }
    if (meta.base >= v || deltas.size() > options_.max_chain * 4) {
      return Status::Corruption("delta chain of version " + std::to_string(version) + " is broken");
    }
    deltas.push_back(std::move(d));
    v = meta.base;
  }
  if (deltas.empty()) {
    *out = std::move(base);
    return Status::OK();
  }
  // Oldest first, then keep the last change per key.
  Delta all;
  for (auto it = deltas.rbegin(); it != deltas.rend(); ++it) {
    for (Change& c : *it) all.push_back(std::move(c));
  }
  NormalizeDelta(&all);
  return ApplyDelta(base, all, out);
}

Status RocksStore::ReconstructSid(uint32_t sid, uint64_t version, Snapshot* out) {
  if (CacheGet(sid, version, out)) return Status::OK();
  VersionHeader h;
  NETSNAP_RETURN_IF_ERROR(ReadHeader(sid, version, &h));
  Snapshot snap;
  NETSNAP_RETURN_IF_ERROR(Rebuild(sid, version, &snap));
  if (!(snap.hash() == h.hash) || snap.size() != h.records) {
    return Status::Corruption("version " + std::to_string(version) +
                              " does not match its content hash (stored " + h.hash.Hex() +
                              ", rebuilt " + snap.hash().Hex() + ")");
  }
  CachePut(sid, version, snap);
  *out = std::move(snap);
  return Status::OK();
}

Status RocksStore::Reconstruct(const std::string& source, uint64_t version, Snapshot* out) {
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(SourceId(source, &sid));
  {
    MutexLock l(&tips_mu_);
    const SourceTip& tip = tips_[source];
    if (tip.latest.version == version && tip.have_snapshot) {
      *out = tip.snapshot;
      return Status::OK();
    }
  }
  Status s = ReconstructSid(sid, version, out);
  if (s.IsNotFound()) {
    return Status::NotFound("source '" + source + "' has no version " + std::to_string(version));
  }
  return s;
}

Status RocksStore::DiffVersions(const std::string& source, uint64_t from, uint64_t to, Diff* out) {
  Snapshot a, b;
  NETSNAP_RETURN_IF_ERROR(Reconstruct(source, from, &a));
  NETSNAP_RETURN_IF_ERROR(Reconstruct(source, to, &b));
  *out = ComputeDiff(a, b);
  return Status::OK();
}

void RocksStore::CachePut(uint32_t sid, uint64_t version, const Snapshot& snap) {
  MutexLock l(&cache_mu_);
  cache_.emplace_front(std::make_pair(sid, version), snap);
  if (cache_.size() > kCacheEntries) cache_.pop_back();
}

bool RocksStore::CacheGet(uint32_t sid, uint64_t version, Snapshot* snap) {
  MutexLock l(&cache_mu_);
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->first == std::make_pair(sid, version)) {
      *snap = it->second;
      cache_.splice(cache_.begin(), cache_, it);
      return true;
    }
  }
  return false;
}

// Pins, events, meta -----------------------------------------------------------------------

Status RocksStore::Pin(const std::string& source, uint64_t version, const std::string& reason) {
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(SourceId(source, &sid));
  rocksdb::WriteBatch batch;
  batch.Put(meta_, PinKey(sid, version), reason);
  return Write(&batch, true, "pin");
}

Status RocksStore::Unpin(const std::string& source, uint64_t version) {
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(SourceId(source, &sid));
  rocksdb::WriteBatch batch;
  batch.Delete(meta_, PinKey(sid, version));
  return Write(&batch, true, "unpin");
}

bool RocksStore::IsPinned(uint32_t sid, uint64_t version) {
  std::string v;
  return db_->Get(rocksdb::ReadOptions(), meta_, PinKey(sid, version), &v).ok();
}

Status RocksStore::AppendEvent(StoredEvent* event) {
  MutexLock wl(&write_mu_);
  if (event->time_ns == 0) event->time_ns = NowNs();
  // Ids are nanosecond times made unique and increasing, so a time seeks straight to its events.
  event->id = std::max<uint64_t>(last_event_id_ + 1, static_cast<uint64_t>(event->time_ns));
  std::string v;
  PutLengthPrefixed(&v, event->type);
  PutLengthPrefixed(&v, event->source);
  PutFixed64BE(&v, static_cast<uint64_t>(event->time_ns));
  v.append(event->json);
  rocksdb::WriteBatch batch;
  batch.Put(events_, EventKey(event->id), v);
  NETSNAP_RETURN_IF_ERROR(Write(&batch, false, "write event"));
  last_event_id_ = event->id;
  return Status::OK();
}

Status RocksStore::PruneEvents(int64_t before_ns, uint64_t max_events, uint64_t* removed) {
  MutexLock wl(&write_mu_);
  *removed = 0;
  rocksdb::ReadOptions ro;
  uint64_t total = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++total;
    NETSNAP_RETURN_IF_ERROR(FromRocks(it->status(), "count events"));
  }
  uint64_t cutoff = before_ns > 0 ? static_cast<uint64_t>(before_ns) : 0;
  uint64_t excess = max_events && total > max_events ? total - max_events : 0;
  // Ids increase with time: the events to go are a prefix of the key space.
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption("bad event key");
    if (DecodeFixed64BE(it->key().data()) >= cutoff && *removed >= excess) break;
    batch.Delete(events_, it->key());
    ++*removed;
  }
  NETSNAP_RETURN_IF_ERROR(FromRocks(it->status(), "list events"));
  if (*removed == 0) return Status::OK();
  return Write(&batch, false, "delete events");
}

Status RocksStore::ListEvents(uint64_t after_id, int64_t since_ns, size_t limit,
                              std::vector<StoredEvent>* out) {
  out->clear();
  uint64_t start = std::max<uint64_t>(after_id + 1, since_ns > 0 ? since_ns : 0);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
  for (it->Seek(EventKey(start)); it->Valid() && out->size() < limit; it->Next()) {
    StoredEvent e;
    if (it->key().size() != 8) return Status::Corruption("bad event key");
    e.id = DecodeFixed64BE(it->key().data());
    Reader r(it->value().ToStringView());
    std::string_view type, source;
    uint64_t t;
    if (!r.GetLengthPrefixed(&type) || !r.GetLengthPrefixed(&source) || !r.GetFixed64BE(&t)) {
      return Status::Corruption("bad event record");
    }
    e.type.assign(type);
    e.source.assign(source);
    e.time_ns = static_cast<int64_t>(t);
    if (e.time_ns < since_ns) continue;
    e.json.assign(r.rest());
    out->push_back(std::move(e));
  }
  return FromRocks(it->status(), "list events");
}

Status RocksStore::PutMeta(const std::string& key, const std::string& value) {
  rocksdb::WriteBatch batch;
  batch.Put(meta_, "x/" + key, value);
  return Write(&batch, true, "write " + key);
}

Status RocksStore::GetMeta(const std::string& key, std::string* value) {
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, "x/" + key, value);
  if (s.IsNotFound()) return Status::NotFound("no " + key);
  return FromRocks(s, "read " + key);
}

Status RocksStore::DeleteMeta(const std::string& key) {
  rocksdb::WriteBatch batch;
  batch.Delete(meta_, "x/" + key);
  return Write(&batch, true, "delete " + key);
}

Status RocksStore::ListMeta(const std::string& prefix,
                            std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  std::string p = "x/" + prefix;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    out->emplace_back(it->key().ToString().substr(2), it->value().ToString());
  }
  return FromRocks(it->status(), "list " + prefix);
}

uint64_t RocksStore::DiskBytes() {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(options_.path, ec)) {
    std::string ext = e.path().extension().string();
    if (ext == ".sst" || ext == ".log" || ext == ".blob") total += e.file_size(ec);
  }
  return total;
}

Status RocksStore::Flush() {
  {
    MutexLock l(&io_mu_);
    NETSNAP_RETURN_IF_ERROR(Writable());
  }
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocks(db_->Flush(fo, handles_), "flush");
}

Status RocksStore::Compact() {
  {
    MutexLock l(&io_mu_);
    NETSNAP_RETURN_IF_ERROR(Writable());
  }
  rocksdb::CompactRangeOptions o;
  // Rewrite the last level too: that is where deletions finally drop the data.
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto* h : handles_) {
    NETSNAP_RETURN_IF_ERROR(FromRocks(db_->CompactRange(o, h, nullptr, nullptr), "compact"));
  }
  return Status::OK();
}

// Writes and their failures --------------------------------------------------------------------

Status RocksStore::Writable() {
  if (write_error_.empty()) {
    write_error_ = recovery_->Take();
    if (write_error_.empty()) return Status::OK();
    last_resume_ns_ = 0;  // resume at once: the failed work may not have needed the space
  }
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  if (now - last_resume_ns_ < kResumeEveryNs) {
    return Status::IOError("the store refuses writes since one failed: " + write_error_);
  }
  last_resume_ns_ = now;
  rocksdb::Status s = db_->Resume();
  if (!s.ok()) {
    return Status::IOError("the store refuses writes since one failed (" + write_error_ +
                           "); recovery failed: " + s.ToString());
  }
  write_error_.clear();
  // Background errors reported before this resume are what it recovered from.
  recovery_->Take();
  return Status::OK();
}

Status RocksStore::Write(rocksdb::WriteBatch* batch, bool durable, const std::string& what) {
  MutexLock l(&io_mu_);
  NETSNAP_RETURN_IF_ERROR(Writable());
  rocksdb::Status s = db_->Write(durable ? durable_options_ : write_options_, batch);
  if (!s.ok()) {
    write_error_ = what + ": " + s.ToString();
    last_resume_ns_ = 0;
    return FromRocks(s, what);
  }
  if (!durable && !options_.sync) {
    bool wake = !unsynced_;
    unsynced_ = true;
    if (wake) sync_cv_.SignalAll();
  } else {
    unsynced_ = false;  // a synced write syncs every earlier one in the log too
  }
  return Status::OK();
}

void RocksStore::SyncLoop() {
  io_mu_.Lock();
  while (!stopping_) {
    sync_cv_.Wait(&io_mu_, [&]() REQUIRES(io_mu_) { return stopping_ || unsynced_; });
    if (stopping_) break;
    // Group the syncs of everything written in the next interval.
    sync_cv_.WaitFor(&io_mu_, std::chrono::milliseconds(options_.wal_sync_ms),
                     [&]() REQUIRES(io_mu_) { return stopping_; });
    if (!unsynced_ || !write_error_.empty()) continue;
    // Writes go on while the log syncs: with io_mu_ held, every commit that came during the
    // fsync waited for it. RocksDB allows SyncWAL alongside writes.
    unsynced_ = false;
    io_mu_.Unlock();
    rocksdb::Status s = db_->SyncWAL();
    io_mu_.Lock();
    if (!s.ok() && write_error_.empty()) {
      write_error_ = "sync the log: " + s.ToString();
      last_resume_ns_ = 0;
    }
  }
  io_mu_.Unlock();
}

Status RocksStore::CheckWritable() {
  MutexLock l(&io_mu_);
  return Writable();
}

std::string RocksStore::WriteError() {
  MutexLock l(&io_mu_);
  return write_error_;
}

}  // namespace store
}  // namespace netsnap
