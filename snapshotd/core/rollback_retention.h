// Removes finished rollbacks from the rollback journal (the store's meta keys "rollback/…",
// written by restore/rollback_manager). Only entries it can read are touched: a JSON object
// whose "state" is a finished one (planned, applied, confirmed, reverted, failed) and whose
// "updated_ns" is before `before_ns`. Anything else (a rollback in progress, an entry in a
// format this code does not know) stays.
#pragma once

#include <cstdint>

#include "netsnap/status.h"
#include "netsnap/store.h"

namespace netsnap {

Status PruneRollbackJournal(Store* store, int64_t before_ns, uint64_t* removed);

}  // namespace netsnap
