// Rollbacks: requests, their lasting record, and the JSON form shared by the journal and the API.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "netsnap/version.h"
#include "restore/scope.h"

namespace netsnap {

// Where a rollback is. Every change of state goes through RollbackManager's check-and-set:
//   planned (a dry run; final)
//   applying -> applied | awaiting_confirmation | failed
//   awaiting_confirmation -> confirmed | reverting
//   reverting -> reverted | failed
// The names are those of the API and the journal.
enum class RollbackState : uint8_t {
  kPlanned,
  kApplying,
  kApplied,
  kAwaitingConfirmation,
  kReverting,
  kConfirmed,
  kReverted,
  kFailed,
};
std::string_view RollbackStateName(RollbackState state);
std::optional<RollbackState> RollbackStateFromName(std::string_view name);

// A check that decides a rollback awaiting confirmation: "tcp" host:port must accept a
// connection; "dns" name[@server[:port]] must resolve; "gateway" address must answer a ping.
struct Probe {
  std::string type;
  std::string target;
};

struct RollbackRequest {
  std::string source;
  std::string to;  // WHEN: a version number ("12" or "v12"), a time, or a relative time
  bool dry_run = false;
  RollbackScope scope;
  int64_t confirm_within_ns = 0;  // 0: no confirmation needed
  std::string reason;
  bool force = false;
  bool if_unchanged = false;
  std::string idempotency_key;
  std::string actor;      // who asked (token name, "automation", ...)
  std::string principal;  // whose idempotency_key it is (the API principal); "": the actor
  Cause cause = Cause::kRollback;
  std::vector<Probe> probes;
};

// A record that did not take. `value` is the record as the change wanted it (an add or a
// replace) or as it was live (a removal), so that the API shows the whole record (docs/api.md);
// nullopt only for journal entries written before it was kept.
struct RecordFailure {
  std::string key;
  std::string error;
  std::optional<std::string> value;
};

// A rollback as it is journalled and shown.
struct Rollback {
  std::string id;
  std::string source;
  RollbackState state = RollbackState::kPlanned;
  RollbackRequest request;
  uint64_t target_version = 0;
  uint64_t pre_version = 0;   // the live state before, stored first
  uint64_t post_version = 0;  // the state after
  uint64_t adds = 0, removes = 0, replaces = 0;
  // Up to kShownRecords of each, for people and dry runs.
  std::vector<Record> add, remove;
  std::vector<ChangedRecord> replace;
  bool truncated = false;
  std::vector<RecordFailure> failures;
  std::string error;  // why it failed or was reverted
  int64_t created_ns = 0, updated_ns = 0, deadline_ns = 0;
  double plan_ms = 0, apply_ms = 0, verify_ms = 0, total_ms = 0;
  uint32_t replans = 0;
  // Parallel to request.probes: the probe failed when run just before the change, so it was
  // already failing and does not decide the rollback.
  std::vector<bool> probe_failed_before;

  static constexpr size_t kShownRecords = 1000;
  // No further change of state can come.
  bool finished() const {
    return state == RollbackState::kPlanned || state == RollbackState::kApplied ||
           state == RollbackState::kConfirmed || state == RollbackState::kReverted ||
           state == RollbackState::kFailed;
  }
};

// Submit's error when an Idempotency-Key is reused by the same principal with another request
// (the API answers 422 idempotency_mismatch).
Status IdempotencyMismatch(const std::string& key);
bool IsIdempotencyMismatch(const Status& s);

// A digest of what a request asks for (source, to, dry_run, scope, confirmation, reason, force,
// if_unchanged, probes), whatever the order or spacing of the JSON it came in: two requests with
// the same digest ask for the same rollback.
std::string RequestDigest(const RollbackRequest& request);

// The JSON form: records rendered as in the rest of the API (RecordToJson), times RFC 3339.
boost::json::object RollbackToJson(const Rollback& r);
// Journal round trip (records kept as hex so that they restore exactly).
std::string EncodeRollback(const Rollback& r);
Status DecodeRollback(const std::string& text, Rollback* out);

}  // namespace netsnap
