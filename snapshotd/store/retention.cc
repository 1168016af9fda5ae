// Retention: thins a source's history by age, keeping the newest version and pinned ones, and
// re-encodes the kept versions whose delta base goes away so that every kept version still
// reconstructs.
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <set>

#include "store/keylog.h"
#include "store/rocks_store.h"
#include "store/version_codec.h"

namespace netsnap::store {

namespace {

constexpr int64_t kHourNs = 3600LL * 1000000000;
constexpr int64_t kDayNs = 24 * kHourNs;

// Which of `times` (ascending by version) the policy keeps.
std::vector<bool> Select(const std::vector<std::pair<uint64_t, int64_t>>& versions,
                         const RetentionPolicy& p, int64_t now_ns) {
  std::vector<bool> keep(versions.size(), false);
  std::set<int64_t> hours, days;
  for (size_t i = 0; i < versions.size(); ++i) {
    int64_t age = now_ns - versions[i].second;
    if (p.keep_all_ns > 0 && age < p.keep_all_ns) {
      keep[i] = true;
    } else if (p.hourly_ns > 0 && age < p.hourly_ns) {
      keep[i] = hours.insert(versions[i].second / kHourNs).second;  // first of each hour
    } else if (p.daily_ns > 0 && age < p.daily_ns) {
      keep[i] = days.insert(versions[i].second / kDayNs).second;  // first of each day
    }
  }
  if (!keep.empty()) keep.back() = true;
  return keep;
}

}  // namespace

Status RocksStore::ApplyRetention(const std::string& source, const RetentionPolicy& policy,
                                  int64_t now_ns, RetentionResult* out) {
  MutexLock wl(&write_mu_);
  *out = RetentionResult{};
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(SourceId(source, &sid));

  std::vector<std::pair<uint64_t, int64_t>> versions;  // version, time
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), versions_));
    std::string prefix = SidPrefix(sid);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      VersionHeader h;
      NETSNAP_RETURN_IF_ERROR(DecodeHeader(it->value().ToStringView(), &h));
      versions.emplace_back(h.version, h.time_ns);
    }
  }
  std::vector<bool> keep = Select(versions, policy, now_ns);
  for (size_t i = 0; i < versions.size(); ++i) {
    if (!keep[i] && IsPinned(sid, versions[i].first)) keep[i] = true;
  }
  std::set<uint64_t> removed;
  for (size_t i = 0; i < versions.size(); ++i) {
    if (!keep[i]) removed.insert(versions[i].first);
  }
  if (removed.empty()) return Status::OK();

  // Re-encode, oldest first, each kept version whose base is removed: as a delta against the
  // previous kept version (already valid), or as a checkpoint when there is none.
  uint64_t prev_kept = 0;
  ContentMeta prev_meta;
  for (size_t i = 0; i < versions.size(); ++i) {
    if (!keep[i]) continue;
    uint64_t v = versions[i].first;
    std::string content;
    NETSNAP_RETURN_IF_ERROR(ReadContent(sid, v, &content));
    ContentMeta meta;
    NETSNAP_RETURN_IF_ERROR(DecodeContentMeta(content, &meta));
    if (!meta.checkpoint && removed.count(meta.base)) {
      Snapshot snap;
      NETSNAP_RETURN_IF_ERROR(ReconstructSid(sid, v, &snap));
      ContentMeta nm;
      if (prev_kept) {
        Snapshot base;
        NETSNAP_RETURN_IF_ERROR(ReconstructSid(sid, prev_kept, &base));
        Delta d = ComputeDelta(base, snap);
        nm.checkpoint = false;
        nm.base = prev_kept;
        nm.chain = prev_meta.chain + 1;
        nm.since_checkpoint = prev_meta.since_checkpoint + d.size();
        if (nm.chain > options_.max_chain ||
            static_cast<double>(nm.since_checkpoint) >
                options_.checkpoint_share * static_cast<double>(snap.size() + 16)) {
          nm = ContentMeta{};
        }
        content = nm.checkpoint ? EncodeCheckpoint(snap, nm, options_.zstd_level)
                                : EncodeDelta(d, nm, options_.zstd_level);
      } else {
        content = EncodeCheckpoint(snap, nm, options_.zstd_level);
      }
      rocksdb::WriteBatch rewrite;
      rewrite.Put(content_, VersionKey(sid, v), content);
      NETSNAP_RETURN_IF_ERROR(Write(&rewrite, false, "rewrite content"));
      meta = nm;
      ++out->rewritten;
    }
    prev_kept = v;
    prev_meta = meta;
  }

  // Every kept version now stands without the removed ones: delete them.
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < versions.size(); ++i) {
    if (keep[i]) continue;
    batch.Delete(versions_, VersionKey(sid, versions[i].first));
    batch.Delete(content_, VersionKey(sid, versions[i].first));
    batch.Delete(times_, TimeKey(sid, versions[i].second, versions[i].first));
    ++out->removed;
  }
  std::vector<uint64_t> kept;
  for (size_t i = 0; i < versions.size(); ++i) {
    if (keep[i]) kept.push_back(versions[i].first);
  }
  LogInputs in;
  NETSNAP_RETURN_IF_ERROR(KeyLogInputs(source, &in));
  NETSNAP_RETURN_IF_ERROR(TrimKeyLog(db_.get(), keylog_, sid, kept, in.latest, &batch));
  // A log that started after the oldest version knows every record's value from the version
  // before its start on. When that version goes, the change at the next kept one is from an
  // older kept version the log does not know: it starts at the kept version after that one.
  uint64_t log_from = in.log_from;
  if (log_from > kept.front()) {
    auto known = std::lower_bound(kept.begin(), kept.end(), log_from - 1);  // the latest is kept
    if (*known != log_from - 1) {
      log_from = std::next(known) != kept.end() ? *std::next(known) : *known + 1;
      batch.Put(meta_, LogFromKey(sid), LogFromValue(log_from));
    }
  }
  NETSNAP_RETURN_IF_ERROR(Write(&batch, false, "delete versions"));
  {
    MutexLock l(&cache_mu_);
    cache_.clear();
  }
  // The newest version is always kept, but its content may have been re-encoded.
  std::string content;
  NETSNAP_RETURN_IF_ERROR(ReadContent(sid, versions.back().first, &content));
  MutexLock l(&tips_mu_);
  tips_[source].log_from = log_from;
  return DecodeContentMeta(content, &tips_[source].meta);
}

}  // namespace netsnap::store
