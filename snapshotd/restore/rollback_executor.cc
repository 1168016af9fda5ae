#include "restore/rollback_executor.h"

#include <charconv>
#include <chrono>

#include "netsnap/time.h"

namespace netsnap {

namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void ShowPlan(const Snapshot& live, const RollbackPlan& plan, Rollback* rb) {
  rb->adds = plan.adds;
  rb->removes = plan.removes;
  rb->replaces = plan.replaces;
  rb->add.clear();
  rb->remove.clear();
  rb->replace.clear();
  rb->truncated = false;
  for (const Change& c : plan.changes) {
    auto old = live.Find(c.key);
    if (rb->add.size() + rb->remove.size() + rb->replace.size() >= Rollback::kShownRecords) {
      rb->truncated = true;
      break;
    }
    if (!c.value) {
      if (old) rb->remove.push_back({c.key, std::string(old->value)});
    } else if (!old) {
      rb->add.push_back({c.key, *c.value});
    } else {
      rb->replace.push_back({c.key, std::string(old->value), *c.value});
    }
  }
}

// The failure of the change to `key` towards `want` from `have`, with the record it concerns:
// the wanted one, or the live one a removal did not remove.
RecordFailure FailureOf(std::string key, std::string error, const Snapshot& want,
                        const Snapshot& have) {
  std::optional<RecordRef> rec = want.Find(key);
  if (!rec) rec = have.Find(key);
  std::optional<std::string> value;
  if (rec) value = std::string(rec->value);
  return {std::move(key), std::move(error), std::move(value)};
}

// Records of `want` (within scope) that `have` lacks or holds with another value, and records
// `have` holds that `want` does not.
std::vector<RecordFailure> Mismatches(const Snapshot& have, const Snapshot& want,
                                      const RollbackScope& scope) {
  std::vector<RecordFailure> out;
  if (scope.empty() && have.hash() == want.hash()) return out;  // the usual outcome, in O(1)
  for (const Change& c : ScopedDelta(have, want, scope)) {
    out.push_back(FailureOf(c.key,
                            c.value ? "not in the live state as the target has it after applying"
                                    : "still in the live state after applying",
                            want, have));
  }
  return out;
}

}  // namespace

Status RollbackExecutor::ResolveVersion(const std::string& source, const std::string& when,
                                        uint64_t* out) const {
  std::string_view w = when;
  if (w.empty()) return Status::InvalidArgument("'to' is required: a version number or a time");
  bool v_prefix = w[0] == 'v';
  std::string_view digits = v_prefix ? w.substr(1) : w;
  bool all_digits = !digits.empty() && digits.size() <= 9 &&
                    digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (all_digits) {
    uint64_t v = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), v);
    VersionHeader h;
    NETSNAP_RETURN_IF_ERROR(store_->Header(source, v, &h));
    *out = v;
    return Status::OK();
  }
  if (v_prefix) return Status::InvalidArgument("bad version '" + when + "'");
  int64_t t;
  NETSNAP_RETURN_IF_ERROR(ParseTime(when, clock_->NowNs(), &t));
  VersionHeader h;
  NETSNAP_RETURN_IF_ERROR(store_->AtOrBefore(source, t, &h));
  *out = h.version;
  return Status::OK();
}

Status RollbackExecutor::LiveState(Recorder* rec, Snapshot* out) const {
  Status s = rec->source()->Sync();
  if (s.ok()) {
    *out = rec->current();
    return Status::OK();
  }
  if (s.code() != Status::Code::kUnavailable) return s;
  VersionHeader h;
  return rec->CaptureNow(Cause::kEvent, {}, "", &h, out);
}

Status RollbackExecutor::Plan(Recorder* rec, Rollback* rb, PreparedRollback* out) const {
  const RollbackRequest& req = rb->request;
  NETSNAP_RETURN_IF_ERROR(store_->Reconstruct(rb->source, rb->target_version, &out->target));
  for (int attempt = 0;; ++attempt) {
    auto tp = std::chrono::steady_clock::now();
    NETSNAP_RETURN_IF_ERROR(LiveState(rec, &out->live));
    out->plan = MakePlan(out->live, out->target, req.scope);
    ShowPlan(out->live, out->plan, rb);
    rb->plan_ms += MsSince(tp);
    if (!req.force) NETSNAP_RETURN_IF_ERROR(CheckBlastRadius(out->live, out->plan, guard_));
    if (req.dry_run) return Status::OK();
    if (before_apply_) before_apply_();
    // No lost updates: apply only to the state the plan was made from.
    Snapshot now;
    NETSNAP_RETURN_IF_ERROR(LiveState(rec, &now));
    if (now.hash() == out->plan.live_hash) break;
    if (req.if_unchanged) {
      return Status::Conflict("the live state of '" + rb->source +
                              "' changed after the plan was made (if_unchanged was asked)");
    }
    if (attempt + 1 >= max_replans_) {
      return Status::Conflict("the live state of '" + rb->source + "' keeps changing; tried " +
                              std::to_string(attempt + 1) + " plans");
    }
    ++rb->replans;
  }
  // LiveState committed the state before: it is the recorder's latest version.
  rb->pre_version = rec->state().latest.version;
  return Status::OK();
}

Status RollbackExecutor::Apply(Recorder* rec, const PreparedRollback& p, Rollback* rb) const {
  return ApplyTo(rec, p.target, rb->request.scope, rb, p.plan, p.live);
}

Status RollbackExecutor::ApplyTo(Recorder* rec, const Snapshot& target, const RollbackScope& scope,
                                 Rollback* rb, const RollbackPlan& plan,
                                 const Snapshot& live) const {
  auto ta = std::chrono::steady_clock::now();
  // The rollback's own commits: every version the recorder commits while the change applies.
  rec->Attribute(CommitInfo{0, rb->request.cause, Actor{0, "netsnap", rb->request.actor},
                            std::string(CauseName(rb->request.cause)) + " " + rb->id});
  struct Clear {
    Recorder* r;
    ~Clear() { r->Attribute(std::nullopt); }
  } clear{rec};
  rb->failures.clear();
  // The whole delta at once: the source orders it (make before break).
  ApplyResult result;
  Status s = rec->source()->Apply(plan.changes, &result);
  for (ApplyFailure& f : result.failures) {
    rb->failures.push_back(FailureOf(std::move(f.key), std::move(f.message), target, live));
  }
  NETSNAP_RETURN_IF_ERROR(s);
  rb->apply_ms += MsSince(ta);
  auto tv = std::chrono::steady_clock::now();
  Snapshot after;
  NETSNAP_RETURN_IF_ERROR(LiveState(rec, &after));
  rb->post_version = rec->state().latest.version;
  rb->verify_ms += MsSince(tv);
  if (!rb->failures.empty()) {
    return Status::Internal(std::to_string(rb->failures.size()) + " of " +
                            std::to_string(plan.changes.size()) + " changes failed");
  }
  std::vector<RecordFailure> missing = Mismatches(after, target, scope);
  if (!missing.empty()) {
    rb->failures = std::move(missing);
    return Status::Internal(std::to_string(rb->failures.size()) +
                            " records do not match the target after applying");
  }
  return Status::OK();
}

Status RollbackExecutor::Revert(Recorder* rec, Rollback* rb, const std::string& why) const {
  rb->error = why;
  Snapshot pre, live;
  NETSNAP_RETURN_IF_ERROR(store_->Reconstruct(rb->source, rb->pre_version, &pre));
  NETSNAP_RETURN_IF_ERROR(LiveState(rec, &live));
  RollbackPlan back = MakePlan(live, pre, rb->request.scope);
  Rollback scratch = *rb;
  scratch.request.cause = Cause::kRollback;
  scratch.id = rb->id + " revert";
  Status s = ApplyTo(rec, pre, rb->request.scope, &scratch, back, live);
  rb->post_version = scratch.post_version;
  if (!s.ok()) {
    for (auto& f : scratch.failures) rb->failures.push_back(f);
    return s;
  }
  rb->error +=
      rb->error.empty() ? "reverted" : "; reverted to version " + std::to_string(rb->pre_version);
  return Status::OK();
}

Status RollbackExecutor::Matches(Recorder* rec, const Rollback& rb, bool* matches) const {
  *matches = false;
  Snapshot target, live;
  NETSNAP_RETURN_IF_ERROR(store_->Reconstruct(rb.source, rb.target_version, &target));
  NETSNAP_RETURN_IF_ERROR(LiveState(rec, &live));
  *matches = Mismatches(live, target, rb.request.scope).empty();
  return Status::OK();
}

}  // namespace netsnap
