#include "store/backup.h"

#include <chrono>
#include <filesystem>
#include <memory>

#include "store/backup_target.h"

namespace netsnap::store {

namespace {

int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint64_t DirectoryBytes(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

// Every version of `source`, oldest first, reconstructed (Reconstruct verifies the hash).
Status VerifySource(Store* copy, const std::string& source, BackupReport* out) {
  VersionQuery q;
  q.order = Order::kOldestFirst;
  q.limit = 1000;
  for (;;) {
    VersionPage page;
    NETSNAP_RETURN_IF_ERROR(copy->ListVersions(source, q, &page));
    for (const VersionHeader& h : page.versions) {
      Snapshot snap;
      Status s = copy->Reconstruct(source, h.version, &snap);
      if (!s.ok()) return s.WithContext(source + " version " + std::to_string(h.version));
      ++out->versions;
      out->records += snap.size();
    }
    if (page.next_cursor.empty()) return Status::OK();
    q.cursor = page.next_cursor;
  }
}

}  // namespace

Status VerifyStoreCopy(const std::string& path, BackupReport* out) {
  StoreOptions o;
  o.path = path;
  o.read_only = true;
  std::unique_ptr<Store> copy;
  NETSNAP_RETURN_IF_ERROR(Store::Open(o, &copy));
  for (const std::string& source : copy->Sources()) {
    NETSNAP_RETURN_IF_ERROR(VerifySource(copy.get(), source, out));
    ++out->sources;
  }
  out->bytes = DirectoryBytes(path);
  return Status::OK();
}

Status BackupStore(Store* store, const std::string& path, BackupReport* out) {
  NETSNAP_RETURN_IF_ERROR(CheckBackupTarget(path));
  *out = BackupReport{};
  out->path = path;
  int64_t start = MonotonicNs();
  NETSNAP_RETURN_IF_ERROR(store->Checkpoint(path));
  int64_t checkpointed = MonotonicNs();
  out->checkpoint_ns = checkpointed - start;
  Status s = VerifyStoreCopy(path, out);
  out->verify_ns = MonotonicNs() - checkpointed;
  if (!s.ok()) {
    return Status::Corruption("the backup at " + path +
                              " does not verify; do not restore from it: " + s.message());
  }
  return Status::OK();
}

}  // namespace netsnap::store
