#include "netsnap/record.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>

#include "coding.h"

namespace netsnap {

namespace {
constexpr std::string_view kMagic = "NSS1";
}

struct Snapshot::Rep {
  std::string body;               // records in canonical form, back to back
  std::vector<uint32_t> offsets;  // start of each record in body
  ContentHash hash;
};

// ContentHash ------------------------------------------------------------------------------

static ContentHash HashBytes(const char* p, size_t n) {
  XXH128_hash_t h = XXH3_128bits(p, n);
  return ContentHash{h.high64, h.low64};
}

ContentHash ContentHash::Of(std::string_view key, std::string_view value) {
  std::string buf;
  buf.reserve(key.size() + value.size() + 10);
  PutLengthPrefixed(&buf, key);
  PutLengthPrefixed(&buf, value);
  return HashBytes(buf.data(), buf.size());
}

void ContentHash::Add(const ContentHash& h) {
  hi += h.hi;
  lo += h.lo;
}

void ContentHash::Sub(const ContentHash& h) {
  hi -= h.hi;
  lo -= h.lo;
}

std::string ContentHash::Hex() const {
  static const char* digits = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = digits[(hi >> (4 * i)) & 15];
    out[31 - i] = digits[(lo >> (4 * i)) & 15];
  }
  return out;
}

std::optional<ContentHash> ContentHash::FromHex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  uint64_t parts[2] = {0, 0};
  for (size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) return std::nullopt;
    parts[i / 16] = (parts[i / 16] << 4) | static_cast<uint64_t>(d);
  }
  return ContentHash{parts[0], parts[1]};
}

// Snapshot ---------------------------------------------------------------------------------

static const std::shared_ptr<const Snapshot::Rep>& EmptyRep() {
  static const auto* empty =
      new std::shared_ptr<const Snapshot::Rep>(std::make_shared<const Snapshot::Rep>());
  return *empty;
}

Snapshot::Snapshot() : rep_(EmptyRep()) {}

size_t Snapshot::size() const { return rep_->offsets.size(); }
const ContentHash& Snapshot::hash() const { return rep_->hash; }
size_t Snapshot::byte_size() const { return rep_->body.size(); }

RecordRef Snapshot::at(size_t i) const {
  Reader r(std::string_view(rep_->body).substr(rep_->offsets[i]));
  RecordRef ref;
  r.GetLengthPrefixed(&ref.key);
  r.GetLengthPrefixed(&ref.value);
  return ref;
}

static std::string_view KeyAt(const Snapshot::Rep& rep, size_t i) {
  Reader r(std::string_view(rep.body).substr(rep.offsets[i]));
  std::string_view k;
  r.GetLengthPrefixed(&k);
  return k;
}

// The first index in [lo, hi) whose key is >= key (hi when none is).
static size_t Bisect(const Snapshot::Rep& rep, size_t lo, size_t hi, std::string_view key) {
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (KeyAt(rep, mid) < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t Snapshot::LowerBound(std::string_view key) const { return Bisect(*rep_, 0, size(), key); }

size_t Snapshot::LowerBound(std::string_view key, size_t from) const {
  const size_t n = size();
  size_t lo = std::min(from, n), step = 1, hi = lo;
  // Gallop until a key >= `key` (or the end) bounds the search, then bisect.
  while (hi < n && KeyAt(*rep_, hi) < key) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  return Bisect(*rep_, lo, std::min(hi, n), key);
}

std::optional<RecordRef> Snapshot::Find(std::string_view key) const {
  size_t i = LowerBound(key);
  if (i < size()) {
    RecordRef r = at(i);
    if (r.key == key) return r;
  }
  return std::nullopt;
}

std::string Snapshot::Encode() const {
  std::string out;
  out.reserve(rep_->body.size() + 16);
  out.append(kMagic);
  PutVarint(&out, size());
  out.append(rep_->body);
  return out;
}

Status Snapshot::Decode(std::string_view bytes, Snapshot* out) {
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    return Status::Corruption("snapshot encoding: bad magic");
  }
  Reader r(bytes.substr(kMagic.size()));
  uint64_t count;
  if (!r.GetVarint(&count) || count > r.remaining()) {
    return Status::Corruption("snapshot encoding: bad record count");
  }
  auto rep = std::make_shared<Rep>();
  rep->body.assign(r.rest());
  if (rep->body.size() > UINT32_MAX) return Status::Corruption("snapshot encoding: too large");
  rep->offsets.reserve(count);
  Reader body(rep->body);
  std::string_view prev;
  for (uint64_t i = 0; i < count; ++i) {
    size_t off = rep->body.size() - body.remaining();
    std::string_view k, v;
    if (!body.GetLengthPrefixed(&k) || !body.GetLengthPrefixed(&v)) {
      return Status::Corruption("snapshot encoding: truncated record " + std::to_string(i));
    }
    if (k.empty() || (i > 0 && !(prev < k))) {
      return Status::Corruption("snapshot encoding: keys out of order at record " +
                                std::to_string(i));
    }
    prev = k;
    rep->offsets.push_back(static_cast<uint32_t>(off));
    size_t end = rep->body.size() - body.remaining();
    rep->hash.Add(HashBytes(rep->body.data() + off, end - off));
  }
  if (!body.empty()) return Status::Corruption("snapshot encoding: trailing bytes");
  *out = Snapshot(std::move(rep));
  return Status::OK();
}

Status Snapshot::FromRecords(std::vector<Record> records, Snapshot* out) {
  // Sort by the keys' first 16 bytes as integers, then by the whole key: far fewer cache
  // misses than comparing heap-allocated strings.
  struct Entry {
    uint64_t hi, lo;
    uint32_t index;
  };
  auto prefix = [](const std::string& k, size_t at) {
    uint64_t v = 0;
    for (size_t i = at; i < at + 8; ++i) {
      v = (v << 8) | (i < k.size() ? static_cast<unsigned char>(k[i]) : 0);
    }
    return v;
  };
  std::vector<Entry> order(records.size());
  size_t bytes = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string& k = records[i].key;
    order[i] = {prefix(k, 0), prefix(k, 8), static_cast<uint32_t>(i)};
    bytes += k.size() + records[i].value.size() + 4;
  }
  std::sort(order.begin(), order.end(), [&](const Entry& a, const Entry& b) {
    if (a.hi != b.hi) return a.hi < b.hi;
    if (a.lo != b.lo) return a.lo < b.lo;
    return records[a.index].key < records[b.index].key;
  });
  SnapshotBuilder b;
  b.Reserve(records.size(), bytes);
  for (const Entry& e : order) b.Add(records[e.index].key, records[e.index].value);
  return b.Finish(out);
}

// SnapshotBuilder --------------------------------------------------------------------------

SnapshotBuilder::SnapshotBuilder() : rep_(std::make_unique<Snapshot::Rep>()) {}
SnapshotBuilder::~SnapshotBuilder() = default;

void SnapshotBuilder::Reserve(size_t records, size_t bytes) {
  rep_->offsets.reserve(records);
  rep_->body.reserve(bytes);
}

void SnapshotBuilder::Add(std::string_view key, std::string_view value) {
  if (key.empty() || (!rep_->offsets.empty() && !(KeyAt(*rep_, rep_->offsets.size() - 1) < key))) {
    ordered_ = false;
  }
  size_t off = rep_->body.size();
  PutLengthPrefixed(&rep_->body, key);
  PutLengthPrefixed(&rep_->body, value);
  rep_->offsets.push_back(static_cast<uint32_t>(off));
  rep_->hash.Add(HashBytes(rep_->body.data() + off, rep_->body.size() - off));
}

Status SnapshotBuilder::Finish(Snapshot* out) {
  if (!ordered_) {
    return Status::InvalidArgument("snapshot records are not in strictly ascending key order");
  }
  if (rep_->body.size() > UINT32_MAX) return Status::InvalidArgument("snapshot too large");
  *out = Snapshot(std::shared_ptr<const Snapshot::Rep>(std::move(rep_)));
  rep_ = std::make_unique<Snapshot::Rep>();
  ordered_ = true;
  return Status::OK();
}

// Deltas and diffs -------------------------------------------------------------------------

Delta ComputeDelta(const Snapshot& from, const Snapshot& to) {
  Delta d;
  size_t i = 0, j = 0;
  while (i < from.size() || j < to.size()) {
    if (j == to.size()) {
      d.push_back({std::string(from.at(i++).key), std::nullopt});
      continue;
    }
    RecordRef b = to.at(j);
    if (i == from.size()) {
      d.push_back({std::string(b.key), std::string(b.value)});
      ++j;
      continue;
    }
    RecordRef a = from.at(i);
    if (a.key < b.key) {
      d.push_back({std::string(a.key), std::nullopt});
      ++i;
    } else if (b.key < a.key) {
      d.push_back({std::string(b.key), std::string(b.value)});
      ++j;
    } else {
      if (a.value != b.value) d.push_back({std::string(b.key), std::string(b.value)});
      ++i;
      ++j;
    }
  }
  return d;
}

DiffCounts CountDiff(const Snapshot& from, const Snapshot& to) {
  DiffCounts c;
  size_t i = 0, j = 0;
  while (i < from.size() && j < to.size()) {
    RecordRef a = from.at(i);
    RecordRef b = to.at(j);
    if (a.key < b.key) {
      ++c.removed;
      ++i;
    } else if (b.key < a.key) {
      ++c.added;
      ++j;
    } else {
      if (a.value != b.value) ++c.changed;
      ++i;
      ++j;
    }
  }
  c.removed += from.size() - i;
  c.added += to.size() - j;
  return c;
}

void NormalizeDelta(Delta* delta) {
  std::stable_sort(delta->begin(), delta->end(),
                   [](const Change& a, const Change& b) { return a.key < b.key; });
  // Keep the last change for each key.
  size_t w = 0;
  for (size_t r = 0; r < delta->size(); ++r) {
    if (r + 1 < delta->size() && (*delta)[r + 1].key == (*delta)[r].key) continue;
    if (w != r) (*delta)[w] = std::move((*delta)[r]);
    ++w;
  }
  delta->resize(w);
}

Status ApplyDelta(const Snapshot& base, const Delta& delta, Snapshot* out) {
  for (size_t i = 0; i < delta.size(); ++i) {
    if (delta[i].key.empty() || (i > 0 && !(delta[i - 1].key < delta[i].key))) {
      return Status::InvalidArgument("delta is not sorted by unique keys");
    }
  }
  // Unchanged runs of records are copied as whole byte ranges and the hash is adjusted for the
  // records that change, so the cost is a memcpy of the table plus the size of the delta.
  const Snapshot::Rep& b = *base.rep_;
  auto rep = std::make_shared<Snapshot::Rep>();
  rep->hash = b.hash;
  size_t extra = 0;
  for (const Change& c : delta) extra += c.key.size() + (c.value ? c.value->size() : 0) + 10;
  rep->body.reserve(b.body.size() + extra);
  rep->offsets.reserve(b.offsets.size() + delta.size());
  const size_t n = b.offsets.size();
  auto end_of = [&](size_t i) { return i < n ? b.offsets[i] : b.body.size(); };
  auto copy_run = [&](size_t from, size_t to) {
    if (from >= to) return;
    size_t start = b.offsets[from];
    size_t shift = rep->body.size();
    for (size_t k = from; k < to; ++k) {
      rep->offsets.push_back(static_cast<uint32_t>(b.offsets[k] - start + shift));
    }
    rep->body.append(b.body, start, end_of(to) - start);
  };
  size_t i = 0;
  for (const Change& c : delta) {
    // The first record at or after c.key, searching only what is left.
    size_t lo = i, hi = n;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (KeyAt(b, mid) < c.key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    copy_run(i, lo);
    i = lo;
    if (i < n && KeyAt(b, i) == c.key) {
      rep->hash.Sub(HashBytes(b.body.data() + b.offsets[i], end_of(i + 1) - b.offsets[i]));
      ++i;
    }
    if (c.value) {
      size_t off = rep->body.size();
      PutLengthPrefixed(&rep->body, c.key);
      PutLengthPrefixed(&rep->body, *c.value);
      rep->offsets.push_back(static_cast<uint32_t>(off));
      rep->hash.Add(HashBytes(rep->body.data() + off, rep->body.size() - off));
    }
  }
  copy_run(i, n);
  if (rep->body.size() > UINT32_MAX) return Status::InvalidArgument("snapshot too large");
  *out = Snapshot(std::move(rep));
  return Status::OK();
}

Diff ComputeDiff(const Snapshot& from, const Snapshot& to) {
  Diff d;
  size_t i = 0, j = 0;
  auto rec = [](RecordRef r) { return Record{std::string(r.key), std::string(r.value)}; };
  while (i < from.size() || j < to.size()) {
    if (j == to.size()) {
      d.removed.push_back(rec(from.at(i++)));
    } else if (i == from.size()) {
      d.added.push_back(rec(to.at(j++)));
    } else {
      RecordRef a = from.at(i), b = to.at(j);
      if (a.key < b.key) {
        d.removed.push_back(rec(a));
        ++i;
      } else if (b.key < a.key) {
        d.added.push_back(rec(b));
        ++j;
      } else {
        if (a.value != b.value) {
          d.changed.push_back({std::string(a.key), std::string(a.value), std::string(b.value)});
        }
        ++i;
        ++j;
      }
    }
  }
  return d;
}

DiffCounts CountDelta(const Snapshot& base, const Delta& delta) {
  DiffCounts c;
  for (const Change& ch : delta) {
    auto old = base.Find(ch.key);
    if (!ch.value) {
      if (old) ++c.removed;
    } else if (!old) {
      ++c.added;
    } else if (old->value != *ch.value) {
      ++c.changed;
    }
  }
  return c;
}

}  // namespace netsnap
