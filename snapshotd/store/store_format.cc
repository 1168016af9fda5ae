#include "store/store_format.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace netsnap::store {

namespace {

// What every refusal adds: the two ways forward.
constexpr const char* kWhatToDo =
    "; run the netsnap build that wrote it, or restore a backup this build made (docs/store.md, "
    "\"Restore from a backup\")";

}  // namespace

Status CheckBeforeOpen(const std::string& path, const std::vector<std::string>& known,
                       bool* exists) {
  std::error_code ec;
  *exists = std::filesystem::exists(path + "/CURRENT", ec);
  if (!*exists) return Status::OK();
  std::vector<std::string> families;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &families);
  if (!s.ok()) return Status::IOError("cannot read the store at " + path + ": " + s.ToString());
  if (std::find(families.begin(), families.end(), "versions") == families.end()) {
    return Status::Refused(path + " holds a RocksDB database that is not a netsnap store; " +
                           "point data_dir elsewhere");
  }
  for (const std::string& f : families) {
    if (std::find(known.begin(), known.end(), f) == known.end()) {
      return Status::Refused("the store at " + path + " has a column family '" + f +
                             "' that format " + std::to_string(kStoreFormat) +
                             " does not have: a newer netsnap build wrote it" + kWhatToDo);
    }
  }
  return Status::OK();
}

Status CheckFormatMarker(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                         const std::string& path, bool read_only) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta, kStoreFormatKey, &value);
  if (s.IsNotFound()) {
    if (read_only) return Status::OK();  // made before the marker: format 1
    rocksdb::WriteOptions durable;
    durable.sync = true;
    s = db->Put(durable, meta, kStoreFormatKey, std::to_string(kStoreFormat));
    if (!s.ok()) return Status::IOError("write the store format marker: " + s.ToString());
    return Status::OK();
  }
  if (!s.ok()) return Status::IOError("read the store format marker: " + s.ToString());
  int format = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), format);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return Status::Corruption("the store at " + path + " has a damaged format marker");
  }
  if (format != kStoreFormat) {
    return Status::Refused("the store at " + path + " has format " + std::to_string(format) +
                           "; this build reads format " + std::to_string(kStoreFormat) + " only" +
                           kWhatToDo);
  }
  return Status::OK();
}

}  // namespace netsnap::store
