#include "lookup/record_reader.h"

#include <algorithm>

namespace netsnap::lookup {

Status SnapshotReader::Scan(std::string_view prefix, std::vector<Record>* out) {
  out->clear();
  for (size_t i = snap_.LowerBound(prefix); i < snap_.size(); ++i) {
    RecordRef rec = snap_.at(i);
    if (!rec.key.starts_with(prefix)) break;
    out->push_back({std::string(rec.key), std::string(rec.value)});
  }
  return Status::OK();
}

Status SnapshotReader::Get(std::string_view key, std::optional<Record>* out) {
  out->reset();
  if (std::optional<RecordRef> rec = snap_.Find(key)) {
    *out = Record{std::string(rec->key), std::string(rec->value)};
  }
  return Status::OK();
}

Status KeyLogReader::Read(std::string_view prefix, bool exact, std::vector<Record>* out) {
  AsOfRecords r;
  NETSNAP_RETURN_IF_ERROR(store_->ReadAsOf(source_, prefix, exact, version_, &r));
  before_log_ = before_log_ || r.before_log;
  last_change_ = std::max(last_change_, r.last_change);
  if (r.next_change && (next_change_ == 0 || r.next_change < next_change_)) {
    next_change_ = r.next_change;
  }
  *out = std::move(r.records);
  return Status::OK();
}

Status KeyLogReader::Scan(std::string_view prefix, std::vector<Record>* out) {
  return Read(prefix, false, out);
}

Status KeyLogReader::Get(std::string_view key, std::optional<Record>* out) {
  std::vector<Record> recs;
  NETSNAP_RETURN_IF_ERROR(Read(key, true, &recs));
  out->reset();
  if (!recs.empty()) *out = std::move(recs.front());
  return Status::OK();
}

}  // namespace netsnap::lookup
