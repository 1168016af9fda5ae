// Rollbacks: requests, their lasting record, and the JSON form shared by the journal and the API.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "netsnap/version.h"
#include "restore/scope.h"

namespace netsnap {

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
  std::string actor;  // who asked (token name, "automation", ...)
  Cause cause = Cause::kRollback;
  std::vector<Probe> probes;
};

struct RecordFailure {
  std::string key;
  std::string error;
};

// A rollback as it is journalled and shown.
struct Rollback {
  std::string id;
  std::string source;
  std::string state;  // planned, applying, applied, awaiting_confirmation, confirmed, reverted, failed
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

  static constexpr size_t kShownRecords = 1000;
  bool finished() const {
    return state == "planned" || state == "applied" || state == "confirmed" ||
           state == "reverted" || state == "failed";
  }
};

// The JSON form: records rendered as in the rest of the API (RecordToJson), times RFC 3339.
boost::json::object RollbackToJson(const Rollback& r);
// Journal round trip (records kept as hex so that they restore exactly).
std::string EncodeRollback(const Rollback& r);
Status DecodeRollback(const std::string& text, Rollback* out);

}  // namespace netsnap
