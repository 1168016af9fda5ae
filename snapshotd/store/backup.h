// Online backup: a checkpoint of the store (Store::Checkpoint) made while capture goes on, then
// opened read-only and verified version by version, so that a backup that answers OK is known
// to restore (docs/store.md, "Backup").
#pragma once

#include <cstdint>
#include <string>

#include "netsnap/store.h"

namespace netsnap::store {

struct BackupReport {
  std::string path;
  uint64_t sources = 0;
  uint64_t versions = 0;  // every one reconstructed and matched with its content hash
  uint64_t records = 0;   // summed over those versions
  uint64_t bytes = 0;     // the files of the copy (SST files may be hard links into the store)
  int64_t checkpoint_ns = 0;
  int64_t verify_ns = 0;
};

// Checks `path` (backup_target.h), checkpoints `store` there and verifies the copy.
// A copy that fails verification stays where it is, for inspection, and the error names it.
Status BackupStore(Store* store, const std::string& path, BackupReport* out);

// Opens the store copy at `path` read-only and reconstructs every version of every source,
// each checked against its content hash; fills the counts and bytes of `out`.
Status VerifyStoreCopy(const std::string& path, BackupReport* out);

}  // namespace netsnap::store
