// Reads of the key log (keylog.h): the change log of records, and records as of a version.
#include <algorithm>

#include "store/keylog.h"
#include "store/keylog_entry.h"
#include "store/rocks_store.h"
#include "store/version_codec.h"

namespace netsnap::store {

namespace {

// Calls visit(key, timeline) for each record under `prefix` (only `prefix` when `exact`) that
// has entries or is in the latest content, in key order, until it returns false.
Status WalkTimelines(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                     const Snapshot& latest, std::string_view prefix, bool exact,
                     const std::function<bool(const std::string&, const Timeline&)>& visit) {
  std::vector<RecordLog> logs;
  NETSNAP_RETURN_IF_ERROR(WalkRecords(db, cf, sid, prefix, exact, [&](const RecordLog& log) {
    logs.push_back(log);
    return true;
  }));
  size_t i = latest.LowerBound(prefix);
  auto in_latest = [&](size_t at) {
    if (at >= latest.size()) return false;
    std::string_view k = latest.at(at).key;
    return exact ? k == prefix : k.starts_with(prefix);
  };
  size_t j = 0;
  Timeline t;
  const RecordLog empty;
  while (in_latest(i) || j < logs.size()) {
    const bool from_latest = in_latest(i) && (j == logs.size() || latest.at(i).key <= logs[j].key);
    const bool from_log = j < logs.size() && (!from_latest || latest.at(i).key == logs[j].key);
    std::optional<std::string_view> value;
    if (from_latest) value = latest.at(i).value;
    const RecordLog& log = from_log ? logs[j] : empty;
    const std::string key = from_log ? log.key : std::string(latest.at(i).key);
    NETSNAP_RETURN_IF_ERROR(DecodeTimeline(log, value, &t));
    if (from_latest) ++i;
    if (from_log) ++j;
    if (!visit(key, t)) break;
  }
  return Status::OK();
}

}  // namespace

Status ReadKeyLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                  const KeyLogBase& base, const KeyHistoryQuery& query, std::vector<KeyChange>* out,
                  bool* truncated) {
  out->clear();
  *truncated = false;
  auto emit = [&](uint64_t version, const std::string& key,
                  const std::optional<std::string>& value) {
    if (out->size() == query.limit) {
      *truncated = true;
      return false;
    }
    out->push_back({version, key, value});
    return true;
  };
  const bool whole = base.log_from <= base.oldest;
  return WalkTimelines(db, cf, sid, base.latest, query.key_prefix, false,
                       [&](const std::string& key, const Timeline& t) {
                         if (query.match && !query.match(key)) return true;
                         if (!whole) {
                           // Its value when the log started; the versions before are not in
                           // the log.
                           const std::optional<std::string>& start = t.At(base.log_from - 1);
                           if (start && out->size() == query.limit) {
                             *truncated = true;
                             return false;
                           }
                           if (start) out->push_back({base.log_from, key, start, true});
                         } else if (t.before &&
                                    (t.after.empty() || t.after.front().first > base.oldest) &&
                                    !emit(base.oldest, key, t.before)) {
                           // A record of the oldest version appeared there.
                           return false;
                         }
                         for (const auto& [version, value] : t.after) {
                           if (version >= base.log_from && !emit(version, key, value)) {
                             return false;
                           }
                         }
                         return true;
                       });
}

Status ReadKeyLogAsOf(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                      const KeyLogBase& base, std::string_view prefix, bool exact, uint64_t version,
                      AsOfRecords* out) {
  *out = AsOfRecords{};
  return WalkTimelines(db, cf, sid, base.latest, prefix, exact,
                       [&](const std::string& key, const Timeline& t) {
                         for (const auto& [v, value] : t.after) {
                           if (v < base.log_from) continue;  // not a change the log knows
                           if (v <= version) {
                             out->last_change = std::max(out->last_change, v);
                           } else if (out->next_change == 0 || v < out->next_change) {
                             out->next_change = v;
                           }
                         }
                         if (const std::optional<std::string>& value = t.At(version)) {
                           out->records.push_back({key, *value});
                         }
                         return true;
                       });
}

Status RocksStore::KeyLogInputs(const std::string& source, LogInputs* out) {
  NETSNAP_RETURN_IF_ERROR(SourceId(source, &out->sid));
  {
    MutexLock l(&tips_mu_);
    const SourceTip& tip = tips_[source];
    out->latest_version = tip.latest.version;
    out->log_from = tip.log_from;
    if (tip.have_snapshot) out->latest = tip.snapshot;
  }
  if (out->latest_version == 0) return Status::NotFound("source '" + source + "' has no versions");
  if (out->latest.empty()) {
    // After a restart, until the first commit: the latest content is rebuilt once and kept.
    NETSNAP_RETURN_IF_ERROR(ReconstructSid(out->sid, out->latest_version, &out->latest));
    MutexLock l(&tips_mu_);
    SourceTip& tip = tips_[source];
    if (tip.latest.version == out->latest_version && !tip.have_snapshot) {
      tip.snapshot = out->latest;
      tip.have_snapshot = true;
    }
  }
  return Status::OK();
}

Status RocksStore::OldestVersion(uint32_t sid, uint64_t* out) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), versions_));
  it->Seek(VersionKey(sid, 0));
  uint32_t s = 0;
  if (!it->Valid() || !ParseVersionKey(it->key().ToStringView(), &s, out) || s != sid) {
    NETSNAP_RETURN_IF_ERROR(FromRocks(it->status(), "find the oldest version"));
    return Status::Corruption("a source has a latest but no oldest version");
  }
  return Status::OK();
}

Status RocksStore::KeyLogStart(const std::string& source, uint64_t* out) {
  LogInputs in;
  NETSNAP_RETURN_IF_ERROR(KeyLogInputs(source, &in));
  uint64_t oldest = 0;
  NETSNAP_RETURN_IF_ERROR(OldestVersion(in.sid, &oldest));
  *out = in.log_from > oldest ? in.log_from : 0;
  return Status::OK();
}

Status RocksStore::KeyHistory(const std::string& source, const KeyHistoryQuery& query,
                              std::vector<KeyChange>* out, bool* truncated) {
  LogInputs in;
  NETSNAP_RETURN_IF_ERROR(KeyLogInputs(source, &in));
  uint64_t oldest = 0;
  NETSNAP_RETURN_IF_ERROR(OldestVersion(in.sid, &oldest));
  return ReadKeyLog(db_.get(), keylog_, in.sid, {in.latest, oldest, in.log_from}, query, out,
                    truncated);
}

Status RocksStore::ReadRebuilt(const LogInputs& in, std::string_view prefix, bool exact,
                               uint64_t version, AsOfRecords* out) {
  const uint32_t sid = in.sid;
  *out = AsOfRecords{};
  out->before_log = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), versions_));
  it->SeekForPrev(VersionKey(sid, version));
  uint32_t s = 0;
  uint64_t stored = 0;
  if (!it->Valid() || !ParseVersionKey(it->key().ToStringView(), &s, &stored) || s != sid) {
    NETSNAP_RETURN_IF_ERROR(FromRocks(it->status(), "find a version"));
    return Status::NotFound("no version at or before " + std::to_string(version));
  }
  // The latest version when the log started after it, or one of the few versions a lookup
  // asks about (the cache keeps them).
  Snapshot snap = in.latest;
  if (stored != in.latest_version) NETSNAP_RETURN_IF_ERROR(ReconstructSid(sid, stored, &snap));
  for (size_t i = snap.LowerBound(prefix); i < snap.size(); ++i) {
    RecordRef r = snap.at(i);
    if (exact ? r.key != prefix : !r.key.starts_with(prefix)) break;
    out->records.push_back({std::string(r.key), std::string(r.value)});
  }
  return Status::OK();
}

Status RocksStore::ReadAsOf(const std::string& source, std::string_view prefix, bool exact,
                            uint64_t version, AsOfRecords* out) {
  LogInputs in;
  NETSNAP_RETURN_IF_ERROR(KeyLogInputs(source, &in));
  if (version < in.log_from) return ReadRebuilt(in, prefix, exact, version, out);
  return ReadKeyLogAsOf(db_.get(), keylog_, in.sid, {in.latest, 0, in.log_from}, prefix, exact,
                        version, out);
}

}  // namespace netsnap::store
