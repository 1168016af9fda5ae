#include "restore/rollback_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>

#include "common/coding.h"
#include "netsnap/render.h"
#include "netsnap/time.h"
#include "restore/probes.h"

namespace netsnap {

namespace {

const std::string kJournal = "rollback/";
const std::string kIdempotency = "rollback-idem/";
const std::string kNextId = "rollback-next";

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Journal keys sort by id: ids are zero-padded in the key.
std::string JournalKey(const std::string& id) {
  std::string pad(std::max<size_t>(0, 12 - std::min<size_t>(12, id.size())), '0');
  return kJournal + pad + id;
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

std::string Name(RollbackState s) { return std::string(RollbackStateName(s)); }

bool NeedsConfirmation(const RollbackRequest& req) {
  return req.confirm_within_ns > 0 || !req.probes.empty();
}

// The id a journal key or a "rollback-next" value holds; 0 when it holds none.
uint64_t ParseId(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() ? v : 0;
}

// An idempotency entry: {"id", "digest", "created_ns"}.
struct IdemEntry {
  std::string id, digest;
  int64_t created_ns = 0;
};

bool DecodeIdem(const std::string& text, IdemEntry* out) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  if (!o) return false;  // also entries from before keys had a digest: ignored, overwritten
  const auto* id = o->if_contains("id");
  const auto* digest = o->if_contains("digest");
  const auto* created = o->if_contains("created_ns");
  if (!id || !id->is_string() || !digest || !digest->is_string() || !created ||
      !created->is_int64()) {
    return false;
  }
  *out = {std::string(id->as_string()), std::string(digest->as_string()), created->as_int64()};
  return true;
}

}  // namespace

RollbackDeps RollbackDeps::Of(Daemon* daemon, const Clock* clock) {
  RollbackDeps d{daemon->store(), daemon->events(), daemon->metrics(), {}, clock};
  for (const auto& r : daemon->recorders()) d.sources.push_back(r.get());
  return d;
}

RollbackManager::RollbackManager(RollbackDeps deps, RollbackOptions options)
    : deps_(std::move(deps)), options_(std::move(options)) {
  deps_.metrics->Describe("netsnap_rollbacks_total", "counter",
                          "Rollbacks by source and the state each change of state reached.");
}

Recorder* RollbackManager::FindSource(const std::string& name) const {
  for (Recorder* r : deps_.sources) {
    if (r->name() == name) return r;
  }
  return nullptr;
}

RollbackManager::~RollbackManager() { Stop(); }

Status RollbackManager::Start() {
  Store* store = deps_.store;
  std::string next;
  Status s = store->GetMeta(kNextId, &next);
  if (!s.ok() && !s.IsNotFound()) return s.WithContext("rollback ids");
  uint64_t next_id = s.ok() ? ParseId(next) : 1;
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(store->ListMeta(kJournal, &entries));
  std::vector<Rollback> open;
  for (auto& [key, value] : entries) {
    // An id below one in the journal would overwrite that entry.
    next_id = std::max(next_id, ParseId(std::string_view(key).substr(kJournal.size())) + 1);
    Rollback rb;
    s = DecodeRollback(value, &rb);
    if (!s.ok()) {
      spdlog::error("rollback journal {}: {}", key, s.ToString());
      continue;
    }
    if (rb.state == RollbackState::kApplying || rb.state == RollbackState::kReverting) {
      open.push_back(std::move(rb));
    } else if (rb.state == RollbackState::kAwaitingConfirmation) {
      {
        std::lock_guard l(mu_);
        awaiting_[rb.id] = {DueOf(rb.deadline_ns), !rb.request.probes.empty()};
      }
      spdlog::warn("rollback {} of {} awaits confirmation until {}; its deadline holds", rb.id,
                   rb.source, FormatTime(rb.deadline_ns));
    }
  }
  next_id_ = std::max<uint64_t>(next_id, 1);
  for (Rollback& rb : open) Recover(&rb);
  deadline_thread_ = std::thread([this] { DeadlineLoop(); });
  probe_thread_ = std::thread([this] { ProbeLoop(); });
  return Status::OK();
}

void RollbackManager::Stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (deadline_thread_.joinable()) deadline_thread_.join();
  if (probe_thread_.joinable()) probe_thread_.join();
}

Status RollbackManager::Save(const Rollback& rb) {
  return deps_.store->PutMeta(JournalKey(rb.id), EncodeRollback(rb));
}

Status RollbackManager::Load(const std::string& id, Rollback* out) {
  std::string v;
  Status s = deps_.store->GetMeta(JournalKey(id), &v);
  if (s.IsNotFound()) return Status::NotFound("no rollback with id '" + id + "'");
  NETSNAP_RETURN_IF_ERROR(s);
  return DecodeRollback(v, out);
}

Status RollbackManager::Get(const std::string& id, Rollback* out) { return Load(id, out); }

size_t RollbackManager::AwaitingConfirmation() {
  std::lock_guard l(mu_);
  return awaiting_.size();
}

Status RollbackManager::List(size_t limit, std::vector<Rollback>* out) {
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(deps_.store->ListMeta(kJournal, &entries));
  out->clear();
  for (auto it = entries.rbegin(); it != entries.rend() && out->size() < limit; ++it) {
    Rollback rb;
    if (DecodeRollback(it->second, &rb).ok()) out->push_back(std::move(rb));
  }
  return Status::OK();
}

Status RollbackManager::ResolveVersion(const std::string& source, const std::string& when,
                                       uint64_t* out) {
  std::string_view w = when;
  if (w.empty()) return Status::InvalidArgument("'to' is required: a version number or a time");
  bool v_prefix = w[0] == 'v';
  std::string_view digits = v_prefix ? w.substr(1) : w;
  bool all_digits = !digits.empty() && digits.size() <= 9 &&
                    digits.find_first_not_of("0123456789") == std::string_view::npos;
  Store* store = deps_.store;
  if (all_digits) {
    uint64_t v = ParseId(digits);
    VersionHeader h;
    NETSNAP_RETURN_IF_ERROR(store->Header(source, v, &h));
    *out = v;
    return Status::OK();
  }
  if (v_prefix) return Status::InvalidArgument("bad version '" + when + "'");
  int64_t t;
  NETSNAP_RETURN_IF_ERROR(ParseTime(when, deps_.clock->NowNs(), &t));
  VersionHeader h;
  NETSNAP_RETURN_IF_ERROR(store->AtOrBefore(source, t, &h));
  *out = h.version;
  return Status::OK();
}

Status RollbackManager::LiveState(Recorder* rec, Snapshot* out) {
  Status s = rec->source()->Sync();
  if (s.ok()) {
    *out = rec->current();
    return Status::OK();
  }
  if (s.code() != Status::Code::kUnavailable) return s;
  VersionHeader h;
  return rec->CaptureNow(Cause::kEvent, {}, "", &h, out);
}

Status RollbackManager::FindIdempotent(const RollbackRequest& req, const std::string& store_key,
                                       const std::string& digest, Rollback* out, bool* found) {
  *found = false;
  std::string value;
  Status s = deps_.store->GetMeta(store_key, &value);
  if (s.IsNotFound()) return Status::OK();
  NETSNAP_RETURN_IF_ERROR(s.WithContext("Idempotency-Key"));
  IdemEntry e;
  if (!DecodeIdem(value, &e) || deps_.clock->NowNs() - e.created_ns >= kIdempotencyTtlNs) {
    return Status::OK();  // unreadable or expired: the key is free again
  }
  if (e.digest != digest) return IdempotencyMismatch(req.idempotency_key);
  NETSNAP_RETURN_IF_ERROR(Load(e.id, out));
  *found = true;
  return Status::OK();
}

void RollbackManager::RememberIdempotent(const std::string& store_key, const std::string& digest,
                                         const Rollback& rb) {
  boost::json::object o;
  o["id"] = rb.id;
  o["digest"] = digest;
  o["created_ns"] = rb.created_ns;
  Status s = deps_.store->PutMeta(store_key, boost::json::serialize(o));
  // The rollback ran and its caller must hear so; the cost is that a retry with this key runs
  // it again, which the log says.
  if (!s.ok()) {
    spdlog::error("rollback {}: cannot store its Idempotency-Key ({}); a retry would run again",
                  rb.id, s.ToString());
  }
}

Status RollbackManager::ExpiredKeys(Store* store, int64_t now_ns, std::vector<std::string>* out) {
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(store->ListMeta(kIdempotency, &entries));
  out->clear();
  for (const auto& [key, value] : entries) {
    IdemEntry e;
    if (!DecodeIdem(value, &e) || now_ns - e.created_ns >= kIdempotencyTtlNs) out->push_back(key);
  }
  return Status::OK();
}

Status RollbackManager::RemoveExpiredKeys(Store* store, int64_t now_ns, size_t* removed) {
  std::vector<std::string> keys;
  NETSNAP_RETURN_IF_ERROR(ExpiredKeys(store, now_ns, &keys));
  *removed = 0;
  for (const std::string& k : keys) {
    NETSNAP_RETURN_IF_ERROR(store->DeleteMeta(k));
    ++*removed;
  }
  return Status::OK();
}

Status RollbackManager::Submit(const RollbackRequest& req, Rollback* out) {
  Recorder* rec = FindSource(req.source);
  if (!rec) return Status::NotFound("no source named '" + req.source + "'");
  if (req.force && req.reason.empty()) {
    return Status::InvalidArgument("\"force\": true needs a \"reason\"");
  }
  if (req.probes.size() > kMaxProbes) {
    return Status::InvalidArgument("probes: at most " + std::to_string(kMaxProbes) +
                                   " per rollback, got " + std::to_string(req.probes.size()));
  }
  Store* store = deps_.store;
  // Keyed by source, then whose key it is (hex: any bytes), then the caller's key.
  const std::string& owner = req.principal.empty() ? req.actor : req.principal;
  std::string idem_key =
      kIdempotency + req.source + "/" + HexEncode(owner) + "/" + req.idempotency_key;
  std::string digest = req.idempotency_key.empty() ? "" : RequestDigest(req);
  if (!req.idempotency_key.empty()) {
    bool found = false;
    NETSNAP_RETURN_IF_ERROR(FindIdempotent(req, idem_key, digest, out, &found));
    if (found) return Status::OK();
  }
  Rollback rb;
  rb.source = req.source;
  rb.request = req;
  rb.created_ns = rb.updated_ns = deps_.clock->NowNs();
  NETSNAP_RETURN_IF_ERROR(ResolveVersion(req.source, req.to, &rb.target_version));
  {
    std::lock_guard l(mu_);
    if (busy_.count(req.source)) {
      return Status::Conflict("a rollback of source '" + req.source + "' is already running");
    }
    // The next id is stored before it is used: a reused id would overwrite a journal entry.
    NETSNAP_RETURN_IF_ERROR(store->PutMeta(kNextId, std::to_string(next_id_ + 1)));
    rb.id = std::to_string(next_id_++);
    busy_.insert(req.source);
  }
  Status s = Run(&rb, rec);
  {
    std::lock_guard l(mu_);
    busy_.erase(req.source);
  }
  cv_.notify_all();
  if (!s.ok()) return s;
  if (!req.idempotency_key.empty()) RememberIdempotent(idem_key, digest, rb);
  *out = std::move(rb);
  return Status::OK();
}

int64_t RollbackManager::DueOf(int64_t deadline_wall_ns) const {
  // Clamped so that a corrupt or far-off deadline cannot overflow.
  constexpr int64_t kYear = 366LL * 86400 * 1000000000;
  const int64_t left = std::clamp(deadline_wall_ns, -kYear, kYear * 200) - deps_.clock->NowNs();
  return deps_.clock->MonotonicNs() + std::clamp(left, int64_t{0}, kYear);
}

Status RollbackManager::TransitionLocked(Rollback* rb, RollbackState from, RollbackState to,
                                         int64_t due_ns) {
  Rollback journalled;
  NETSNAP_RETURN_IF_ERROR(Load(rb->id, &journalled));
  if (journalled.state != from) {
    *rb = std::move(journalled);
    return Status::Conflict("rollback " + rb->id + " is " + Name(rb->state) + ", not " +
                            Name(from));
  }
  RollbackState before = rb->state;
  rb->state = to;
  rb->updated_ns = deps_.clock->NowNs();
  Status s = Save(*rb);
  if (!s.ok()) {
    rb->state = before;
    return s;
  }
  if (to == RollbackState::kAwaitingConfirmation) {
    awaiting_[rb->id] = {due_ns != 0 ? due_ns : DueOf(rb->deadline_ns),
                         !rb->request.probes.empty()};
  } else {
    awaiting_.erase(rb->id);
  }
  return s;
}

Status RollbackManager::Run(Rollback* rb, Recorder* rec) {
  auto t0 = std::chrono::steady_clock::now();
  Store* store = deps_.store;
  const RollbackRequest& req = rb->request;
  Snapshot target;
  NETSNAP_RETURN_IF_ERROR(store->Reconstruct(rb->source, rb->target_version, &target));

  // Probes are judged against the state before (run ahead of planning, so the plan is as fresh
  // as can be): one that already fails is reported and not required after the change.
  if (!req.dry_run) {
    for (const Probe& p : req.probes) {
      rb->probe_failed_before.push_back(!RunProbe(p, rec->source()->NetnsPath()).ok());
    }
  }

  Snapshot live;
  RollbackPlan plan;
  for (int attempt = 0;; ++attempt) {
    auto tp = std::chrono::steady_clock::now();
    NETSNAP_RETURN_IF_ERROR(LiveState(rec, &live));
    plan = MakePlan(live, target, req.scope);
    ShowPlan(live, plan, rb);
    rb->plan_ms += MsSince(tp);
    if (!req.force) NETSNAP_RETURN_IF_ERROR(CheckBlastRadius(live, plan, options_.guard));
    if (req.dry_run) {
      rb->state = RollbackState::kPlanned;
      rb->total_ms = MsSince(t0);
      NETSNAP_RETURN_IF_ERROR(Save(*rb));
      return Status::OK();
    }
    if (options_.before_apply) options_.before_apply();
    // No lost updates: apply only to the state the plan was made from.
    Snapshot now;
    NETSNAP_RETURN_IF_ERROR(LiveState(rec, &now));
    if (now.hash() == plan.live_hash) break;
    if (req.if_unchanged) {
      return Status::Conflict("the live state of '" + rb->source +
                              "' changed after the plan was made (if_unchanged was asked)");
    }
    if (attempt + 1 >= options_.max_replans) {
      return Status::Conflict("the live state of '" + rb->source + "' keeps changing; tried " +
                              std::to_string(attempt + 1) + " plans");
    }
    ++rb->replans;
  }

  // The state before is stored (LiveState committed it); pin both ends and journal the intent
  // before any change. The deadline is journalled with it, so that a crash between applying
  // and confirming keeps the window (Recover).
  rb->pre_version = rec->state().latest.version;
  std::string why = "rollback " + rb->id;
  NETSNAP_RETURN_IF_ERROR(store->Pin(rb->source, rb->pre_version, why));
  Status s = store->Pin(rb->source, rb->target_version, why);
  rb->state = RollbackState::kApplying;
  rb->updated_ns = deps_.clock->NowNs();
  const int64_t window =
      req.confirm_within_ns > 0 ? req.confirm_within_ns : options_.default_probe_window_ns;
  if (NeedsConfirmation(req)) rb->deadline_ns = rb->updated_ns + window;
  if (s.ok()) s = Save(*rb);
  if (!s.ok()) {
    for (uint64_t v : {rb->pre_version, rb->target_version}) {
      Status u = store->Unpin(rb->source, v);
      if (!u.ok()) spdlog::error("rollback {}: cannot unpin v{}: {}", rb->id, v, u.ToString());
    }
    return s;
  }

  s = ApplyTo(rec, target, req.scope, rb, plan, live);
  rb->total_ms = MsSince(t0);
  RollbackState to = RollbackState::kApplied;
  int64_t due_ns = 0;
  if (!s.ok()) {
    Status r = Revert(rb, rec, s.message());
    to = RollbackState::kFailed;
    if (!r.ok()) rb->error += "; the revert failed too: " + r.message();
  } else if (NeedsConfirmation(req)) {
    to = RollbackState::kAwaitingConfirmation;
    // The window runs on the monotonic clock from here; the journal keeps its wall-clock end
    // for people and for a restart (DueOf).
    rb->deadline_ns = deps_.clock->NowNs() + window;
    due_ns = deps_.clock->MonotonicNs() + window;
  }
  {
    std::lock_guard l(mu_);
    NETSNAP_RETURN_IF_ERROR(TransitionLocked(rb, RollbackState::kApplying, to, due_ns));
  }
  Announce(*rb);
  return Status::OK();
}

Status RollbackManager::ApplyTo(Recorder* rec, const Snapshot& target, const RollbackScope& scope,
                                Rollback* rb, const RollbackPlan& plan, const Snapshot& live) {
  auto ta = std::chrono::steady_clock::now();
  rec->Attribute(CommitInfo{0, rb->request.cause, Actor{0, "netsnap", rb->request.actor},
                            std::string(CauseName(rb->request.cause)) + " " + rb->id});
  struct Clear {
    Recorder* r;
    ~Clear() { r->Attribute(std::nullopt); }
  } clear{rec};
  rb->failures.clear();
  for (const Delta& phase : OrderForApply(plan.changes, live)) {
    ApplyResult result;
    Status s = rec->source()->Apply(phase, &result);
    for (ApplyFailure& f : result.failures) {
      rb->failures.push_back(FailureOf(std::move(f.key), std::move(f.message), target, live));
    }
    if (!s.ok()) return s;
    if (!result.failures.empty()) break;
  }
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

Status RollbackManager::Revert(Rollback* rb, Recorder* rec, const std::string& why) {
  rb->error = why;
  Snapshot pre, live;
  NETSNAP_RETURN_IF_ERROR(deps_.store->Reconstruct(rb->source, rb->pre_version, &pre));
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

void RollbackManager::Announce(const Rollback& rb) {
  Store* store = deps_.store;
  if (rb.finished()) {
    for (uint64_t v : {rb.pre_version, rb.target_version}) {
      if (v == 0) continue;  // a dry run pins nothing
      Status s = store->Unpin(rb.source, v);
      // Only retention is affected (the version is kept longer); the rollback stands.
      if (!s.ok()) spdlog::error("rollback {}: cannot unpin v{}: {}", rb.id, v, s.ToString());
    }
  }
  std::string state = Name(rb.state);
  deps_.metrics->Add("netsnap_rollbacks_total", {{"source", rb.source}, {"outcome", state}});
  boost::json::object ev;
  ev["rollback"] = rb.id;
  ev["state"] = state;
  ev["cause"] = CauseName(rb.request.cause);
  ev["target_version"] = rb.target_version;
  ev["pre_version"] = rb.pre_version;
  ev["post_version"] = rb.post_version;
  ev["add"] = rb.adds;
  ev["remove"] = rb.removes;
  ev["replace"] = rb.replaces;
  ev["actor"] = rb.request.actor;
  ev["reason"] = rb.request.reason;
  ev["failures"] = rb.failures.size();
  if (!rb.error.empty()) ev["error"] = rb.error;
  deps_.events->Publish("rollback", rb.source, std::move(ev));
  cv_.notify_all();
}

// Runs before the threads start: nothing else changes these rollbacks.
void RollbackManager::Recover(Rollback* rb) {
  RollbackState from = rb->state;
  Recorder* rec = FindSource(rb->source);
  RollbackState to = RollbackState::kFailed;
  if (!rec) {
    rb->error = "interrupted, and source '" + rb->source + "' is no longer configured";
  } else {
    Snapshot target, live;
    Status s = deps_.store->Reconstruct(rb->source, rb->target_version, &target);
    if (s.ok()) s = LiveState(rec, &live);
    bool applied = s.ok() && from == RollbackState::kApplying &&
                   Mismatches(live, target, rb->request.scope).empty();
    if (applied && NeedsConfirmation(rb->request)) {
      // The change is in place but nobody confirmed it: the window journalled with the intent
      // still runs, and the deadline thread reverts the rollback when it closes.
      to = RollbackState::kAwaitingConfirmation;
      rb->error = "the daemon stopped after applying; verified on restart, awaiting confirmation";
      rb->post_version = rec->state().latest.version;
    } else if (applied) {
      to = RollbackState::kApplied;
      rb->error = "the daemon stopped after applying; verified on restart";
      rb->post_version = rec->state().latest.version;
    } else {
      Status r = s.ok() ? Revert(rb, rec, "the daemon stopped in the middle of this rollback") : s;
      to = r.ok() ? RollbackState::kReverted : RollbackState::kFailed;
      if (!r.ok()) rb->error = "interrupted, and the revert failed: " + r.message();
    }
  }
  spdlog::warn("rollback {} of {} was interrupted while {}: now {}", rb->id, rb->source, Name(from),
               Name(to));
  Status s;
  {
    std::lock_guard l(mu_);
    s = TransitionLocked(rb, from, to);
  }
  if (!s.ok()) {
    spdlog::error("rollback {}: cannot journal its recovery: {}", rb->id, s.ToString());
    return;
  }
  Announce(*rb);
}

Status RollbackManager::Confirm(const std::string& id, const std::string& actor, Rollback* out) {
  {
    std::lock_guard l(mu_);
    NETSNAP_RETURN_IF_ERROR(Load(id, out));
    out->error = "confirmed by " + actor;
    NETSNAP_RETURN_IF_ERROR(
        TransitionLocked(out, RollbackState::kAwaitingConfirmation, RollbackState::kConfirmed));
  }
  Announce(*out);
  return Status::OK();
}

Status RollbackManager::BeginRevertLocked(const std::string& id, bool expired_only, Rollback* out) {
  NETSNAP_RETURN_IF_ERROR(Load(id, out));
  if (out->state != RollbackState::kAwaitingConfirmation) {
    return Status::Conflict("rollback " + id + " is " + Name(out->state) +
                            ", not awaiting_confirmation");
  }
  auto open = awaiting_.find(id);
  if (expired_only && open != awaiting_.end() && deps_.clock->MonotonicNs() < open->second.due_ns) {
    return Status::Conflict("rollback " + id + " is still within its confirmation window");
  }
  if (!FindSource(out->source)) return Status::NotFound("no source named '" + out->source + "'");
  if (busy_.count(out->source)) {
    return Status::Conflict("another rollback of source '" + out->source + "' is running");
  }
  NETSNAP_RETURN_IF_ERROR(
      TransitionLocked(out, RollbackState::kAwaitingConfirmation, RollbackState::kReverting));
  busy_.insert(out->source);
  return Status::OK();
}

void RollbackManager::FinishRevert(Rollback* rb, Recorder* rec, const std::string& why) {
  Status r = Revert(rb, rec, why);
  RollbackState to = r.ok() ? RollbackState::kReverted : RollbackState::kFailed;
  if (!r.ok()) rb->error = why + "; the revert failed: " + r.message();
  Status s;
  {
    std::lock_guard l(mu_);
    s = TransitionLocked(rb, RollbackState::kReverting, to);
    busy_.erase(rb->source);
  }
  cv_.notify_all();
  // Only this thread moves a rollback out of `reverting`; a failed journal write leaves it
  // there, and the next start finishes the revert.
  if (!s.ok()) {
    spdlog::error("rollback {}: cannot journal the revert: {}", rb->id, s.ToString());
    return;
  }
  Announce(*rb);
}

Status RollbackManager::Cancel(const std::string& id, const std::string& actor, Rollback* out) {
  {
    std::lock_guard l(mu_);
    NETSNAP_RETURN_IF_ERROR(BeginRevertLocked(id, /*expired_only=*/false, out));
  }
  FinishRevert(out, FindSource(out->source), "cancelled by " + actor);
  return Status::OK();
}

bool RollbackManager::ProbesPass(const Rollback& rb, Recorder* rec) {
  for (size_t i = 0; i < rb.request.probes.size(); ++i) {
    const Probe& p = rb.request.probes[i];
    if (i < rb.probe_failed_before.size() && rb.probe_failed_before[i]) continue;
    {
      std::lock_guard l(mu_);
      if (stopping_) return false;
    }
    Status s = RunProbe(p, rec->source()->NetnsPath());
    if (!s.ok()) return false;
  }
  return true;
}

void RollbackManager::ProbeLoop() {
  std::unique_lock l(mu_);
  while (true) {
    cv_.wait(l, [&] { return stopping_ || !probe_queue_.empty(); });
    if (stopping_) return;
    std::string id = std::move(probe_queue_.front());
    probe_queue_.pop_front();
    l.unlock();
    Rollback rb;
    Recorder* rec = nullptr;
    bool passed = Load(id, &rb).ok() && rb.state == RollbackState::kAwaitingConfirmation &&
                  (rec = FindSource(rb.source)) && ProbesPass(rb, rec);
    l.lock();
    probing_.erase(id);
    // Probes that pass after the deadline are too late: the deadline thread reverts.
    auto open = awaiting_.find(id);
    if (!passed || open == awaiting_.end() || deps_.clock->MonotonicNs() >= open->second.due_ns) {
      continue;
    }
    rb.error = "confirmed by its probes";
    Status s =
        TransitionLocked(&rb, RollbackState::kAwaitingConfirmation, RollbackState::kConfirmed);
    if (!s.ok()) continue;  // confirmed, cancelled or reverted meanwhile: that one won
    l.unlock();
    Announce(rb);
    l.lock();
  }
}

void RollbackManager::DeadlineLoop() {
  std::unique_lock l(mu_);
  while (!stopping_) {
    deps_.clock->WaitUntil(cv_, l, deps_.clock->MonotonicNs() + options_.probe_interval_ns);
    if (stopping_) break;
    // Only the open rollbacks, from the index: a copy, as reverting unlocks mu_.
    std::vector<std::pair<std::string, OpenRollback>> open(awaiting_.begin(), awaiting_.end());
    for (const auto& [id, o] : open) {
      if (stopping_) break;
      if (deps_.clock->MonotonicNs() < o.due_ns) {
        if (o.has_probes && probing_.insert(id).second) {
          probe_queue_.push_back(id);
          cv_.notify_all();
        }
        continue;
      }
      Rollback fresh;
      // Conflict: confirmed or cancelled meanwhile, or the source is busy (next tick).
      if (!BeginRevertLocked(id, /*expired_only=*/true, &fresh).ok()) continue;
      l.unlock();
      FinishRevert(&fresh, FindSource(fresh.source),
                   fresh.request.probes.empty() ? "not confirmed within the deadline"
                                                : "its probes did not pass before the deadline");
      l.lock();
    }
  }
}

}  // namespace netsnap
