// Where a lookup reads its records: one snapshot in memory, or the store's per-key change log
// as of one version, which costs a seek per key or prefix read whatever the table's size
// (tools/bench_history: a lookup in a 100,000-route table rebuilt the whole version, 0.2 to
// 0.8 s; read from the log it reads a few dozen keys).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "netsnap/store.h"

namespace netsnap::lookup {

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // The records whose key starts with `prefix`, in key order.
  virtual Status Scan(std::string_view prefix, std::vector<Record>* out) = 0;
  // The record `key`; absent when there is none.
  virtual Status Get(std::string_view key, std::optional<Record>* out) = 0;
};

class SnapshotReader final : public RecordReader {
 public:
  explicit SnapshotReader(const Snapshot& snap) : snap_(snap) {}
  Status Scan(std::string_view prefix, std::vector<Record>* out) override;
  Status Get(std::string_view key, std::optional<Record>* out) override;

 private:
  const Snapshot& snap_;
};

// Reads `source` as of `version` from the change log (Store::ReadAsOf) and keeps, over every
// read, the nearest changes around that version: until one of the records read changes, or a
// record appears under a prefix scanned, whatever was computed from the reads stays the same.
class KeyLogReader final : public RecordReader {
 public:
  KeyLogReader(Store* store, std::string source, uint64_t version)
      : store_(store), source_(std::move(source)), version_(version) {}
  Status Scan(std::string_view prefix, std::vector<Record>* out) override;
  Status Get(std::string_view key, std::optional<Record>* out) override;

  // The newest version at or before `version` at which something read changed; 0: none.
  uint64_t last_change() const { return last_change_; }
  // The oldest version after `version` at which something read changed; 0: none.
  uint64_t next_change() const { return next_change_; }
  // Whether `version` is older than the change log (Store::KeyLogStart): the reads came from
  // the rebuilt version, and the changes around it are unknown.
  bool before_log() const { return before_log_; }

 private:
  Status Read(std::string_view prefix, bool exact, std::vector<Record>* out);

  Store* store_;
  std::string source_;
  uint64_t version_;
  uint64_t last_change_ = 0;
  uint64_t next_change_ = 0;
  bool before_log_ = false;
};

}  // namespace netsnap::lookup
