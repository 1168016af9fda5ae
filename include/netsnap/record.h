// Records and snapshots: the data model every source produces and the store keeps.
//
// A record is one item of configuration: a natural key and a value, both opaque canonical byte
// strings produced by the kind's codec (route.h, rule.h, nexthop.h, resolver.h). The first byte of
// every key is its RecordKind, so a snapshot sorts records by kind, then by key.
//
// A snapshot is the complete, sorted set of records of one source at one instant. It is immutable
// and cheap to copy (the bytes are shared). Its canonical encoding is deterministic: equal content
// gives equal bytes and an equal content hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/status.h"

namespace netsnap {

enum class RecordKind : uint8_t {
  kRoute = 1,
  kRule = 2,
  kNexthop = 3,
  kResolverRule = 4,
  kResolverSetting = 5,
  kFile = 6,
};

// The kinds' names ("route", "rule", ...; record_kind.h), "unknown" for a value no kind has.
std::string_view RecordKindName(RecordKind kind);
std::optional<RecordKind> RecordKindFromName(std::string_view name);
// The kind of a record, read from the first byte of its key.
inline RecordKind KindOfKey(std::string_view key) {
  return key.empty() ? RecordKind{0} : static_cast<RecordKind>(key[0]);
}

struct RecordRef {
  std::string_view key;
  std::string_view value;
};

struct Record {
  std::string key;
  std::string value;
  RecordRef ref() const { return {key, value}; }
  bool operator==(const Record&) const = default;
};

// 128-bit content hash of a set of records. It is the sum (mod 2^64 per lane) of XXH3-128 of each
// record, so it can be updated incrementally as records come and go, and equal sets have equal
// hashes whatever order they were built in.
struct ContentHash {
  uint64_t hi = 0;
  uint64_t lo = 0;

  static ContentHash Of(std::string_view key, std::string_view value);
  void Add(const ContentHash& h);
  void Sub(const ContentHash& h);
  // 32 lowercase hex digits.
  std::string Hex() const;
  static std::optional<ContentHash> FromHex(std::string_view hex);
  bool operator==(const ContentHash&) const = default;
};

struct Change;

class Snapshot {
 public:
  // An empty snapshot.
  Snapshot();

  // Builds a snapshot from records in any order. Fails on duplicate keys or empty keys.
  static Status FromRecords(std::vector<Record> records, Snapshot* out);

  size_t size() const;
  bool empty() const { return size() == 0; }
  RecordRef at(size_t i) const;
  // Index of the first record whose key is >= key.
  size_t LowerBound(std::string_view key) const;
  // Index of the first record at or after `from` whose key is >= key. Costs the log of the
  // distance walked, so a walk over ascending keys costs little more than a merge.
  size_t LowerBound(std::string_view key, size_t from) const;
  std::optional<RecordRef> Find(std::string_view key) const;
  const ContentHash& hash() const;
  // Size in bytes of the canonical encoding's record section.
  size_t byte_size() const;

  // Canonical encoding: "NSS1", varint count, then per record varint key length, key, varint
  // value length, value; records in ascending key order.
  std::string Encode() const;
  // Parses and validates a canonical encoding (order, uniqueness, bounds).
  static Status Decode(std::string_view bytes, Snapshot* out);

  // Forward iteration over records in key order.
  class Iterator {
   public:
    RecordRef operator*() const { return snap_->at(i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }

   private:
    friend class Snapshot;
    Iterator(const Snapshot* s, size_t i) : snap_(s), i_(i) {}
    const Snapshot* snap_;
    size_t i_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

  struct Rep;

 private:
  friend class SnapshotBuilder;
  friend Status ApplyDelta(const Snapshot& base, const std::vector<Change>& delta, Snapshot* out);
  explicit Snapshot(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const Rep> rep_;
};

// Builds a snapshot from records added in strictly ascending key order; the fastest way to make
// a large snapshot.
class SnapshotBuilder {
 public:
  SnapshotBuilder();
  ~SnapshotBuilder();
  void Reserve(size_t records, size_t bytes);
  // Keys must be non-empty and strictly ascending; a violation is reported by Finish.
  void Add(std::string_view key, std::string_view value);
  Status Finish(Snapshot* out);

 private:
  std::unique_ptr<Snapshot::Rep> rep_;
  bool ordered_ = true;
};

// A set of changes from one snapshot to another: for each key, the new value, or nullopt when
// the record is removed. Changes are sorted by key and keys are unique.
struct Change {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const Change&) const = default;
};
using Delta = std::vector<Change>;

// The changes that turn `from` into `to`.
Delta ComputeDelta(const Snapshot& from, const Snapshot& to);
// Applies a sorted delta to base. Removing an absent key is ignored; the result is exact.
Status ApplyDelta(const Snapshot& base, const Delta& delta, Snapshot* out);
// Sorts changes by key, keeping the last change for each key.
void NormalizeDelta(Delta* delta);

struct ChangedRecord {
  std::string key;
  std::string old_value;
  std::string new_value;
};

// A diff between two snapshots, each list in key order.
struct Diff {
  std::vector<Record> added;
  std::vector<Record> removed;
  std::vector<ChangedRecord> changed;
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};
Diff ComputeDiff(const Snapshot& from, const Snapshot& to);

// Counts of a diff, without the records.
struct DiffCounts {
  uint64_t added = 0;
  uint64_t removed = 0;
  uint64_t changed = 0;
};
// Counts of applying `delta` to `base` (a change whose value equals the old one is not counted).
DiffCounts CountDelta(const Snapshot& base, const Delta& delta);
// Counts of ComputeDiff(from, to), without building it.
DiffCounts CountDiff(const Snapshot& from, const Snapshot& to);

}  // namespace netsnap
