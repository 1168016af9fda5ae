// The rollback journal: the lasting record of rollbacks in the store's meta keys, which a
// restart reads back.
//
//   rollback/<id, zero-padded>               a rollback as EncodeRollback writes it
//   rollback-next                            the next id, stored before it is handed out
//   rollback-idem/<source>/<hex owner>/<key> an Idempotency-Key: {"id","digest","created_ns"}
//
// It also pins the two versions a rollback moves between (before and target) from the moment
// its intent is journalled until it is finished, so that retention keeps what a revert needs.
//
// Thread-safe. It does not order changes of state: the check-and-set of one rollback's state
// (read, compare, write) is RollbackManager's, under its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "core/clock.h"
#include "netsnap/store.h"
#include "restore/rollback.h"

namespace netsnap {

// An Idempotency-Key is remembered this long; an older one is ignored and may be reused.
inline constexpr int64_t kIdempotencyTtlNs = 24LL * 3600 * 1000000000;

class RollbackJournal {
 public:
  // Both outlive the journal. Idempotency keys age on the clock's wall time.
  RollbackJournal(Store* store, const Clock* clock) : store_(store), clock_(clock) {}

  // Reads every entry (those that do not decode are logged and left out) and sets the next id
  // past all of them. Call once, before NextId.
  Status Open(std::vector<Rollback>* entries) EXCLUDES(mu_);
  // A new id, stored before it is returned: a reused id would overwrite an entry.
  Status NextId(std::string* id) EXCLUDES(mu_);

  Status Save(const Rollback& rb);
  // NotFound names the id.
  Status Load(const std::string& id, Rollback* out);
  // Newest first.
  Status List(size_t limit, std::vector<Rollback>* out);

  // Pins rb's versions before and target and journals rb, the intent to apply; on an error
  // nothing stays pinned.
  Status JournalIntent(const Rollback& rb);
  // Unpins the versions of a finished rollback; a dry run pinned none. An error is logged: it
  // only makes retention keep the versions longer.
  void Unpin(const Rollback& rb);

  // Where a request's Idempotency-Key is kept and what it must match: the store key is by
  // source, then whose key it is (the principal, or else the actor), then the caller's key.
  struct IdempotencySlot {
    std::string store_key;
    std::string digest;  // RequestDigest of the request
  };
  static IdempotencySlot SlotOf(const RollbackRequest& req);
  // The rollback the slot names when it is younger than kIdempotencyTtlNs (*found); an
  // unreadable or expired entry is free. IdempotencyMismatch when the digest differs.
  Status FindIdempotent(const RollbackRequest& req, const IdempotencySlot& slot, Rollback* out,
                        bool* found);
  // Binds the slot to rb. An error is logged, not returned: the rollback ran and its caller
  // must hear so; the cost is that a retry with this key runs it again.
  void RememberIdempotent(const IdempotencySlot& slot, const Rollback& rb);

  // Idempotency keys in `store` older than kIdempotencyTtlNs at `now_ns` (their store keys), for
  // retention, which calls RemoveExpiredKeys to delete them; they need no journal open.
  static Status ExpiredKeys(Store* store, int64_t now_ns, std::vector<std::string>* out);
  static Status RemoveExpiredKeys(Store* store, int64_t now_ns, size_t* removed);

 private:
  Store* const store_;
  const Clock* const clock_;
  Mutex mu_;
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
};

}  // namespace netsnap
