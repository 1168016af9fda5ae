#include "store/keylog.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "common/coding.h"

namespace netsnap::store {

namespace {

// Appends `key` with every 0x00 written as 0x00 0xff: order-preserving, and the escaped
// form of a prefix is a prefix of the escaped key.
void PutEscaped(std::string* out, std::string_view key) {
  for (char c : key) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
}

// The source id, the escaped record key, a 0x00 0x01 terminator (below any escaped byte, so
// one record's entries sort together, before longer keys), and the version.
std::string EntryKey(uint32_t sid, std::string_view key, uint64_t version) {
  std::string k;
  k.reserve(16 + key.size() * 5 / 4);
  PutFixed32BE(&k, sid);
  PutEscaped(&k, key);
  k.append("\0\1", 2);
  PutFixed64BE(&k, version);
  return k;
}

std::string EntryValue(const std::optional<std::string_view>& value) {
  std::string v(1, value ? '\1' : '\0');
  if (value) v.append(*value);
  return v;
}

struct Entry {
  std::string key;  // record key
  uint64_t version = 0;
  std::optional<std::string> value;
};

bool ParseEntry(rocksdb::Slice k, rocksdb::Slice v, Entry* out) {
  if (k.size() < 14 || v.empty()) return false;
  out->key.clear();
  size_t i = 4;
  const size_t end = k.size() - 10;  // the terminator's position
  for (; i < end; ++i) {
    out->key.push_back(k[i]);
    if (k[i] == '\0') {
      if (k[i + 1] != '\xff') return false;
      ++i;
    }
  }
  if (i != end || k[end] != '\0' || k[end + 1] != '\1') return false;
  out->version = DecodeFixed64BE(k.data() + k.size() - 8);
  if (v[0] == '\1') {
    out->value.emplace(v.data() + 1, v.size() - 1);
  } else {
    out->value.reset();
  }
  return true;
}

// Applies the trim to the entries of one record (ascending versions).
void TrimOne(uint32_t sid, const std::vector<Entry>& entries, const std::vector<uint64_t>& kept,
             rocksdb::ColumnFamilyHandle* cf, rocksdb::WriteBatch* batch) {
  std::optional<std::string> emitted;  // the value in effect at the previous kept version
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const uint64_t end = i + 1 < entries.size() ? entries[i + 1].version : UINT64_MAX;
    auto k = std::lower_bound(kept.begin(), kept.end(), e.version);
    const bool lands = k != kept.end() && *k < end;
    const bool needed = lands && e.value != emitted;
    if (!needed || *k != e.version) batch->Delete(cf, EntryKey(sid, e.key, e.version));
    if (needed) {
      if (*k != e.version) {
        batch->Put(cf, EntryKey(sid, e.key, *k),
                   EntryValue(e.value ? std::optional<std::string_view>(*e.value) : std::nullopt));
      }
      emitted = e.value;
    }
  }
}

}  // namespace

void PutKeyLog(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
               uint64_t version, const Snapshot& snapshot, const Delta& delta, bool first) {
  if (first) {
    for (RecordRef r : snapshot) batch->Put(cf, EntryKey(sid, r.key, version), EntryValue(r.value));
    return;
  }
  for (const Change& c : delta) {
    batch->Put(cf, EntryKey(sid, c.key, version),
               EntryValue(c.value ? std::optional<std::string_view>(*c.value) : std::nullopt));
  }
}

Status TrimKeyLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                  const std::vector<uint64_t>& kept, rocksdb::WriteBatch* batch) {
  std::string prefix;
  PutFixed32BE(&prefix, sid);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  std::vector<Entry> run;
  auto flush = [&] {
    TrimOne(sid, run, kept, cf, batch);
    run.clear();
  };
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    Entry e;
    if (!ParseEntry(it->key(), it->value(), &e)) return Status::Corruption("bad keylog entry");
    if (!run.empty() && run.back().key != e.key) flush();
    run.push_back(std::move(e));
  }
  if (!it->status().ok()) return Status::IOError("keylog scan: " + it->status().ToString());
  flush();
  return Status::OK();
}

Status ReadKeyLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                  const KeyHistoryQuery& query, std::vector<KeyChange>* out, bool* truncated) {
  out->clear();
  *truncated = false;
  std::string prefix;
  PutFixed32BE(&prefix, sid);
  PutEscaped(&prefix, query.key_prefix);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    Entry e;
    if (!ParseEntry(it->key(), it->value(), &e)) return Status::Corruption("bad keylog entry");
    if (query.match && !query.match(e.key)) continue;
    if (out->size() == query.limit) {
      *truncated = true;
      break;
    }
    out->push_back({e.version, std::move(e.key), std::move(e.value)});
  }
  if (!it->status().ok()) return Status::IOError("keylog scan: " + it->status().ToString());
  return Status::OK();
}

}  // namespace netsnap::store
