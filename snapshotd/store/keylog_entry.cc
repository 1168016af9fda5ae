#include "store/keylog_entry.h"

#include <algorithm>
#include <memory>

#include "common/coding.h"

namespace netsnap::store {

namespace {

// Entries of the previous build: the record's value from the version on.
constexpr char kRemoved = '\0';
constexpr char kWhole = '\1';
// Entries of this build: the record's value before the version.
constexpr char kWasAbsent = '\3';
constexpr char kWasWhole = '\4';
constexpr char kWasPatch = '\5';

bool IsUndo(const RawEntry& e) { return e.stored.front() >= kWasAbsent; }

// Appends `key` with every 0x00 written as 0x00 0xff: order-preserving, and the escaped
// form of a prefix is a prefix of the escaped key.
void PutEscaped(std::string* out, std::string_view key) {
  for (char c : key) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
}

bool ParseKey(rocksdb::Slice k, std::string* key, uint64_t* version) {
  if (k.size() < 14) return false;
  key->clear();
  size_t i = 4;
  const size_t end = k.size() - 10;  // the terminator's position
  for (; i < end; ++i) {
    key->push_back(k[i]);
    if (k[i] == '\0') {
      if (k[i + 1] != '\xff') return false;
      ++i;
    }
  }
  if (i != end || k[end] != '\0' || k[end + 1] != '\1') return false;
  *version = DecodeFixed64BE(k.data() + k.size() - 8);
  return true;
}

// The value before an entry of this build, given the value from its version on.
bool DecodeUndo(std::string_view v, const std::optional<std::string>& after,
                std::optional<std::string>* out) {
  const char tag = v[0];
  v.remove_prefix(1);
  if (tag == kWasAbsent) {
    out->reset();
    return v.empty();
  }
  if (tag == kWasWhole) {
    out->emplace(v);
    return true;
  }
  if (tag != kWasPatch || !after) return false;
  Reader r(v);
  uint64_t prefix = 0, suffix = 0;
  const std::string& base = *after;
  if (!r.GetVarint(&prefix) || !r.GetVarint(&suffix) || prefix > base.size() ||
      suffix > base.size() - prefix) {
    return false;
  }
  std::string value = base.substr(0, prefix);
  value.append(r.rest());
  value.append(base, base.size() - suffix, suffix);
  *out = std::move(value);
  return true;
}

}  // namespace

std::string EntryKey(uint32_t sid, std::string_view key, uint64_t version) {
  std::string k;
  k.reserve(16 + key.size() * 5 / 4);
  PutFixed32BE(&k, sid);
  PutEscaped(&k, key);
  // Below any escaped byte: one record's entries sort together, before longer keys.
  k.append("\0\1", 2);
  PutFixed64BE(&k, version);
  return k;
}

std::string UndoValue(const std::optional<std::string_view>& before,
                      const std::optional<std::string_view>& after) {
  if (!before) return std::string(1, kWasAbsent);
  std::string whole(1, kWasWhole);
  whole.append(*before);
  if (!after) return whole;
  const std::string_view v = *before, p = *after;
  const size_t n = std::min(v.size(), p.size());
  size_t prefix = 0;
  while (prefix < n && v[prefix] == p[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < n - prefix && v[v.size() - 1 - suffix] == p[p.size() - 1 - suffix]) ++suffix;
  std::string patch(1, kWasPatch);
  PutVarint(&patch, prefix);
  PutVarint(&patch, suffix);
  patch.append(v.substr(prefix, v.size() - prefix - suffix));
  return patch.size() < whole.size() ? patch : whole;
}

Status WalkRecords(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                   std::string_view prefix, bool exact,
                   const std::function<bool(const RecordLog&)>& visit) {
  std::string start;
  PutFixed32BE(&start, sid);
  PutEscaped(&start, prefix);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  RecordLog log;
  std::string key;
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    RawEntry e;
    if (!ParseKey(it->key(), &key, &e.version) || it->value().empty()) {
      return Status::Corruption("bad keylog entry");
    }
    if (key != log.key) {
      if (!log.entries.empty() && !visit(log)) return Status::OK();
      // The exact record's entries come first under its own key.
      if (exact && key != prefix) return Status::OK();
      log.key = key;
      log.entries.clear();
    }
    e.stored.assign(it->value().ToStringView());
    log.entries.push_back(std::move(e));
  }
  if (!it->status().ok()) return Status::IOError("keylog scan: " + it->status().ToString());
  if (!log.entries.empty()) visit(log);
  return Status::OK();
}

const std::optional<std::string>& Timeline::At(uint64_t version) const {
  auto it = std::upper_bound(after.begin(), after.end(), version,
                             [](uint64_t v, const auto& e) { return v < e.first; });
  return it == after.begin() ? before : std::prev(it)->second;
}

Status DecodeTimeline(const RecordLog& log, const std::optional<std::string_view>& latest,
                      Timeline* out) {
  const std::vector<RawEntry>& es = log.entries;
  out->before.reset();
  out->after.assign(es.size(), {});
  if (latest) out->before.emplace(*latest);
  // Entries of this build follow those of the previous one (retention rewrites them all):
  // decode those newest first from the latest value, the others say their value.
  std::optional<std::string> next = out->before;
  for (size_t i = es.size(); i-- > 0;) {
    const RawEntry& e = es[i];
    out->after[i].first = e.version;
    if (IsUndo(e)) {
      out->after[i].second = next;
      if (!DecodeUndo(e.stored, next, &next)) {
        return Status::Corruption("bad keylog entry for version " + std::to_string(e.version));
      }
    } else if (e.stored.front() == kRemoved && e.stored.size() == 1) {
      out->after[i].second.reset();
      next.reset();  // before the previous build's first entry: nothing
    } else if (e.stored.front() == kWhole) {
      out->after[i].second.emplace(std::string_view(e.stored).substr(1));
      next.reset();
    } else {
      return Status::Corruption("bad keylog entry for version " + std::to_string(e.version));
    }
  }
  out->before = es.empty() || IsUndo(es.front()) ? std::move(next) : std::nullopt;
  return Status::OK();
}

}  // namespace netsnap::store
