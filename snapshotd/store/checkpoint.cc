// RocksStore::Checkpoint (store.h): an online copy of the store by RocksDB's Checkpoint.
#include <rocksdb/utilities/checkpoint.h>

#include <memory>

#include "store/rocks_store.h"

namespace netsnap::store {

Status RocksStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  NETSNAP_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: memtables are flushed first, so the copy needs no WAL replay for what
  // was acknowledged before the call. Commits go on meanwhile; RocksDB keeps the files it links
  // from being deleted until the copy is complete.
  return FromRocks(checkpoint->CreateCheckpoint(dir, 0), "checkpoint to " + dir);
}

}  // namespace netsnap::store
