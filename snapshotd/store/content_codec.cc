#include "store/content_codec.h"

#include <zstd.h>

#include "common/coding.h"

namespace netsnap::store {

namespace {

constexpr uint8_t kCheckpoint = 1;
constexpr uint8_t kDelta = 2;
constexpr uint64_t kMaxRaw = uint64_t{4} << 30;

void PutMeta(std::string* out, const ContentMeta& m) {
  out->push_back(static_cast<char>(m.checkpoint ? kCheckpoint : kDelta));
  PutVarint(out, m.base);
  PutVarint(out, m.chain);
  PutVarint(out, m.since_checkpoint);
}

bool GetMeta(Reader* r, ContentMeta* m) {
  uint8_t type;
  if (!r->GetByte(&type) || (type != kCheckpoint && type != kDelta)) return false;
  m->checkpoint = type == kCheckpoint;
  return r->GetVarint(&m->base) && r->GetVarint32(&m->chain) && r->GetVarint(&m->since_checkpoint);
}

// Appends key with the length it shares with `prev`.
void PutSharedKey(std::string* out, std::string_view prev, std::string_view key) {
  size_t shared = 0;
  size_t max = std::min(prev.size(), key.size());
  while (shared < max && prev[shared] == key[shared]) ++shared;
  PutVarint(out, shared);
  PutLengthPrefixed(out, key.substr(shared));
}

bool GetSharedKey(Reader* r, std::string* key) {
  uint64_t shared;
  std::string_view rest;
  if (!r->GetVarint(&shared) || shared > key->size() || !r->GetLengthPrefixed(&rest)) {
    return false;
  }
  key->resize(shared);
  key->append(rest);
  return true;
}

void Compress(std::string* out, const std::string& raw, int level) {
  PutVarint(out, raw.size());
  size_t start = out->size();
  out->resize(start + ZSTD_compressBound(raw.size()));
  size_t n = ZSTD_compress(out->data() + start, out->size() - start, raw.data(), raw.size(), level);
  out->resize(start + (ZSTD_isError(n) ? 0 : n));
}

Status Decompress(Reader* r, std::string* raw) {
  uint64_t size;
  if (!r->GetVarint(&size) || size > kMaxRaw) return Status::Corruption("content: bad size");
  raw->resize(size);
  std::string_view comp = r->rest();
  size_t n = ZSTD_decompress(raw->data(), raw->size(), comp.data(), comp.size());
  if (ZSTD_isError(n) || n != size) {
    return Status::Corruption(std::string("content: zstd: ") +
                              (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short output"));
  }
  return Status::OK();
}

}  // namespace

std::string EncodeCheckpoint(const Snapshot& snap, const ContentMeta& meta, int zstd_level) {
  std::string raw;
  raw.reserve(snap.byte_size());
  PutVarint(&raw, snap.size());
  std::string_view prev;
  for (RecordRef r : snap) {
    PutSharedKey(&raw, prev, r.key);
    PutLengthPrefixed(&raw, r.value);
    prev = r.key;
  }
  std::string out;
  PutMeta(&out, meta);
  Compress(&out, raw, zstd_level);
  return out;
}

std::string EncodeDelta(const Delta& delta, const ContentMeta& meta, int zstd_level) {
  std::string raw;
  PutVarint(&raw, delta.size());
  std::string_view prev;
  for (const Change& c : delta) {
    PutSharedKey(&raw, prev, c.key);
    raw.push_back(c.value ? 1 : 0);
    if (c.value) PutLengthPrefixed(&raw, *c.value);
    prev = c.key;
  }
  std::string out;
  PutMeta(&out, meta);
  Compress(&out, raw, zstd_level);
  return out;
}

Status DecodeContentMeta(std::string_view in, ContentMeta* meta) {
  Reader r(in);
  if (!GetMeta(&r, meta)) return Status::Corruption("content: bad meta");
  return Status::OK();
}

Status DecodeContent(std::string_view in, ContentMeta* meta, Snapshot* snap, Delta* delta) {
  Reader r(in);
  if (!GetMeta(&r, meta)) return Status::Corruption("content: bad meta");
  std::string raw;
  NETSNAP_RETURN_IF_ERROR(Decompress(&r, &raw));
  Reader p(raw);
  uint64_t n;
  if (!p.GetVarint(&n) || n > raw.size()) return Status::Corruption("content: bad count");
  std::string key;
  if (meta->checkpoint) {
    SnapshotBuilder b;
    b.Reserve(n, raw.size() + n * 8);
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view value;
      if (!GetSharedKey(&p, &key) || !p.GetLengthPrefixed(&value)) {
        return Status::Corruption("content: truncated checkpoint");
      }
      b.Add(key, value);
    }
    if (!p.empty()) return Status::Corruption("content: trailing checkpoint bytes");
    Status s = b.Finish(snap);
    return s.ok() ? s : Status::Corruption("content: checkpoint " + s.message());
  }
  delta->clear();
  delta->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t has;
    std::string_view value;
    if (!GetSharedKey(&p, &key) || !p.GetByte(&has) || (has && !p.GetLengthPrefixed(&value))) {
      return Status::Corruption("content: truncated delta");
    }
    delta->push_back({key, has ? std::optional<std::string>(std::string(value)) : std::nullopt});
  }
  if (!p.empty()) return Status::Corruption("content: trailing delta bytes");
  return Status::OK();
}

}  // namespace netsnap::store
