// RocksDB's info log, sent to the daemon's log instead of a LOG file in the store.
//
// Why: RocksDB 7.8 (Debian's build, assertions on) aborts the whole process when it logs to a
// LOG file whose previous write failed (`Assertion 'sync_without_flush_called_'` in
// writable_file_writer.h): on a full disk, the first message after a failed LOG append — e.g.
// its own no-space recovery thread's — killed the daemon. Without a file there is no such
// writer. Only warnings and errors are passed on; RocksDB's informational chatter (every flush
// and compaction) is dropped.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/options.h>

#include <memory>

namespace netsnap::store {

// A logger for DBOptions::info_log; its level is InfoLogLevel::WARN_LEVEL.
std::shared_ptr<rocksdb::Logger> NewDaemonLogger();

// Sets `options` so that RocksDB keeps no LOG files growing in the store: the daemon's logger
// above, and, should RocksDB ever write a LOG file itself (a DBOptions made without info_log),
// at most kInfoLogFiles of kInfoLogFileBytes each.
inline constexpr size_t kInfoLogFileBytes = 1 << 20;
inline constexpr size_t kInfoLogFiles = 2;
void UseDaemonInfoLog(rocksdb::DBOptions* options);

}  // namespace netsnap::store
