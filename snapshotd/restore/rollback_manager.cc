#include "restore/rollback_manager.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>

#include "netsnap/time.h"
#include "restore/probes.h"

namespace netsnap {

namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string Name(RollbackState s) { return std::string(RollbackStateName(s)); }

bool NeedsConfirmation(const RollbackRequest& req) {
  return req.confirm_within_ns > 0 || !req.probes.empty();
}

}  // namespace

RollbackDeps RollbackDeps::Of(Daemon* daemon, const Clock* clock) {
  RollbackDeps d{daemon->store(), daemon->events(), daemon->metrics(), {}, clock};
  for (const auto& r : daemon->recorders()) d.sources.push_back(r.get());
  return d;
}

RollbackManager::RollbackManager(RollbackDeps deps, RollbackOptions options)
    : deps_(std::move(deps)),
      options_(std::move(options)),
      journal_(deps_.store, deps_.clock),
      executor_(deps_.store, deps_.clock, options_.guard, options_.max_replans,
                options_.before_apply),
      watcher_(deps_.clock, options_.probe_interval_ns) {
  deps_.metrics->Describe("netsnap_rollbacks_total", "counter",
                          "Rollbacks by source and the state each change of state reached.");
}

RollbackManager::~RollbackManager() { Stop(); }

Recorder* RollbackManager::FindSource(const std::string& name) const {
  for (Recorder* r : deps_.sources) {
    if (r->name() == name) return r;
  }
  return nullptr;
}

Status RollbackManager::Start() {
  std::vector<Rollback> entries;
  NETSNAP_RETURN_IF_ERROR(journal_.Open(&entries));
  std::vector<Rollback*> open;
  for (Rollback& rb : entries) {
    if (rb.state == RollbackState::kApplying || rb.state == RollbackState::kReverting) {
      open.push_back(&rb);
    } else if (rb.state == RollbackState::kAwaitingConfirmation) {
      watcher_.Watch(rb.id, AwaitedOf(rb, watcher_.DueOf(rb.deadline_ns)));
      spdlog::warn("rollback {} of {} awaits confirmation until {}; its deadline holds", rb.id,
                   rb.source, FormatTime(rb.deadline_ns));
    }
  }
  for (Rollback* rb : open) Recover(rb);
  watcher_.Start({[this](const std::string& id) { OnExpired(id); },
                  [this](const std::string& id) { OnProbesPassed(id); }});
  return Status::OK();
}

void RollbackManager::Stop() { watcher_.Stop(); }

AwaitedRollback RollbackManager::AwaitedOf(const Rollback& rb, int64_t due_ns) const {
  AwaitedRollback a{due_ns, rb.request.probes, rb.probe_failed_before, std::nullopt};
  if (Recorder* rec = FindSource(rb.source)) a.netns = rec->source()->NetnsPath();
  return a;
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
  RollbackJournal::IdempotencySlot slot;
  if (!req.idempotency_key.empty()) {
    slot = RollbackJournal::SlotOf(req);
    bool found = false;
    NETSNAP_RETURN_IF_ERROR(journal_.FindIdempotent(req, slot, out, &found));
    if (found) return Status::OK();
  }
  Rollback rb;
  rb.source = req.source;
  rb.request = req;
  rb.created_ns = rb.updated_ns = deps_.clock->NowNs();
  NETSNAP_RETURN_IF_ERROR(executor_.ResolveVersion(req.source, req.to, &rb.target_version));
  {
    MutexLock l(&mu_);
    if (busy_.count(req.source)) {
      return Status::Conflict("a rollback of source '" + req.source + "' is already running");
    }
    NETSNAP_RETURN_IF_ERROR(journal_.NextId(&rb.id));
    busy_.insert(req.source);
  }
  Status s = Run(&rb, rec);
  {
    MutexLock l(&mu_);
    busy_.erase(req.source);
  }
  watcher_.Wake();
  if (!s.ok()) return s;
  if (!req.idempotency_key.empty()) journal_.RememberIdempotent(slot, rb);
  *out = std::move(rb);
  return Status::OK();
}

Status RollbackManager::TransitionLocked(Rollback* rb, RollbackState from, RollbackState to,
                                         int64_t due_ns) {
  Rollback journalled;
  NETSNAP_RETURN_IF_ERROR(journal_.Load(rb->id, &journalled));
  if (journalled.state != from) {
    *rb = std::move(journalled);
    return Status::Conflict("rollback " + rb->id + " is " + Name(rb->state) + ", not " +
                            Name(from));
  }
  RollbackState before = rb->state;
  rb->state = to;
  rb->updated_ns = deps_.clock->NowNs();
  Status s = journal_.Save(*rb);
  if (!s.ok()) {
    rb->state = before;
    return s;
  }
  if (to == RollbackState::kAwaitingConfirmation) {
    watcher_.Watch(rb->id, AwaitedOf(*rb, due_ns != 0 ? due_ns : watcher_.DueOf(rb->deadline_ns)));
  } else {
    watcher_.Forget(rb->id);
  }
  return s;
}

Status RollbackManager::Run(Rollback* rb, Recorder* rec) {
  auto t0 = std::chrono::steady_clock::now();
  const RollbackRequest& req = rb->request;
  // Probes are judged against the state before (run ahead of planning, so the plan is as fresh
  // as can be): one that already fails is reported and not required after the change.
  if (!req.dry_run) {
    for (const Probe& p : req.probes) {
      rb->probe_failed_before.push_back(!RunProbe(p, rec->source()->NetnsPath()).ok());
    }
  }
  PreparedRollback prepared;
  NETSNAP_RETURN_IF_ERROR(executor_.Plan(rec, rb, &prepared));
  if (req.dry_run) {
    rb->state = RollbackState::kPlanned;
    rb->total_ms = MsSince(t0);
    return journal_.Save(*rb);
  }

  // The state before is stored (Plan committed it); pin both ends and journal the intent
  // before any change. The deadline is journalled with it, so that a crash between applying
  // and confirming keeps the window (Recover).
  rb->state = RollbackState::kApplying;
  rb->updated_ns = deps_.clock->NowNs();
  const int64_t window =
      req.confirm_within_ns > 0 ? req.confirm_within_ns : options_.default_probe_window_ns;
  if (NeedsConfirmation(req)) rb->deadline_ns = rb->updated_ns + window;
  NETSNAP_RETURN_IF_ERROR(journal_.JournalIntent(*rb));

  Status s = executor_.Apply(rec, prepared, rb);
  rb->total_ms = MsSince(t0);
  RollbackState to = RollbackState::kApplied;
  int64_t due_ns = 0;
  if (!s.ok()) {
    Status r = executor_.Revert(rec, rb, s.message());
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
    MutexLock l(&mu_);
    NETSNAP_RETURN_IF_ERROR(TransitionLocked(rb, RollbackState::kApplying, to, due_ns));
  }
  Announce(*rb);
  return Status::OK();
}

void RollbackManager::Announce(const Rollback& rb) {
  if (rb.finished()) journal_.Unpin(rb);
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
}

void RollbackManager::Recover(Rollback* rb) {
  RollbackState from = rb->state;
  Recorder* rec = FindSource(rb->source);
  RollbackState to = RollbackState::kFailed;
  if (!rec) {
    rb->error = "interrupted, and source '" + rb->source + "' is no longer configured";
  } else {
    bool matches = false;
    Status s = executor_.Matches(rec, *rb, &matches);
    bool applied = s.ok() && from == RollbackState::kApplying && matches;
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
      Status r = s.ok() ? executor_.Revert(rec, rb,
                                           "the daemon stopped in the middle of this "
                                           "rollback")
                        : s;
      to = r.ok() ? RollbackState::kReverted : RollbackState::kFailed;
      if (!r.ok()) rb->error = "interrupted, and the revert failed: " + r.message();
    }
  }
  spdlog::warn("rollback {} of {} was interrupted while {}: now {}", rb->id, rb->source, Name(from),
               Name(to));
  Status s;
  {
    MutexLock l(&mu_);
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
    MutexLock l(&mu_);
    NETSNAP_RETURN_IF_ERROR(journal_.Load(id, out));
    out->error = "confirmed by " + actor;
    NETSNAP_RETURN_IF_ERROR(
        TransitionLocked(out, RollbackState::kAwaitingConfirmation, RollbackState::kConfirmed));
  }
  Announce(*out);
  return Status::OK();
}

Status RollbackManager::BeginRevertLocked(const std::string& id, bool expired_only, Rollback* out) {
  NETSNAP_RETURN_IF_ERROR(journal_.Load(id, out));
  if (out->state != RollbackState::kAwaitingConfirmation) {
    return Status::Conflict("rollback " + id + " is " + Name(out->state) + ", not " +
                            Name(RollbackState::kAwaitingConfirmation));
  }
  if (expired_only && watcher_.WithinWindow(id)) {
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
  Status r = executor_.Revert(rec, rb, why);
  RollbackState to = r.ok() ? RollbackState::kReverted : RollbackState::kFailed;
  if (!r.ok()) rb->error = why + "; the revert failed: " + r.message();
  Status s;
  {
    MutexLock l(&mu_);
    s = TransitionLocked(rb, RollbackState::kReverting, to);
    busy_.erase(rb->source);
  }
  watcher_.Wake();
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
    MutexLock l(&mu_);
    NETSNAP_RETURN_IF_ERROR(BeginRevertLocked(id, /*expired_only=*/false, out));
  }
  FinishRevert(out, FindSource(out->source), "cancelled by " + actor);
  return Status::OK();
}

void RollbackManager::OnExpired(const std::string& id) {
  Rollback fresh;
  {
    MutexLock l(&mu_);
    // Conflict: confirmed or cancelled meanwhile, or the source is busy (the next look).
    if (!BeginRevertLocked(id, /*expired_only=*/true, &fresh).ok()) return;
  }
  FinishRevert(&fresh, FindSource(fresh.source),
               fresh.request.probes.empty() ? "not confirmed within the deadline"
                                            : "its probes did not pass before the deadline");
}

void RollbackManager::OnProbesPassed(const std::string& id) {
  Rollback rb;
  {
    MutexLock l(&mu_);
    // Probes that pass after the deadline are too late: the deadline thread reverts.
    if (!watcher_.WithinWindow(id) || !journal_.Load(id, &rb).ok()) return;
    rb.error = "confirmed by its probes";
    // Conflict: confirmed, cancelled or reverted meanwhile; that one won.
    if (!TransitionLocked(&rb, RollbackState::kAwaitingConfirmation, RollbackState::kConfirmed)
             .ok()) {
      return;
    }
  }
  Announce(rb);
}

}  // namespace netsnap
