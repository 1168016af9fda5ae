// `snapshotd backup OUT`: an online backup of the store from the command line
// (docs/store.md, "Backup").
//
// RocksDB lets one process open the store for writing, and the running daemon holds its lock;
// a second process that opened it read-only could not make a checkpoint (that needs the
// writer's file deletions held) and would read files the daemon deletes under it. So the
// command asks the running daemon over its Unix socket (POST /v1/backup; root there is an
// operator), and only when no daemon answers on the socket does it open the store itself —
// RocksDB's lock then refuses it if a daemon without a socket holds the store.
#pragma once

#include <string>

#include "core/config.h"

namespace netsnap {

// Makes the backup into `out` (made absolute against the working directory) and prints what was
// verified. Returns the exit code: 0 made and verified, 1 not (the reason on stderr).
int RunBackupCommand(const DaemonConfig& config, const std::string& out);

}  // namespace netsnap
