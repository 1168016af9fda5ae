#include "restore/rollback_manager.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>

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

// Records of `want` (within scope) that `have` lacks or holds with another value, and records
// `have` holds that `want` does not.
std::vector<RecordFailure> Mismatches(const Snapshot& have, const Snapshot& want,
                                      const RollbackScope& scope) {
  std::vector<RecordFailure> out;
  if (scope.empty() && have.hash() == want.hash()) return out;  // the usual outcome, in O(1)
  for (const Change& c : ScopedDelta(have, want, scope)) {
    out.push_back({c.key, c.value ? "not in the live state as the target has it after applying"
                                  : "still in the live state after applying"});
  }
  return out;
}

}  // namespace

RollbackDeps RollbackDeps::Of(Daemon* daemon) {
  RollbackDeps d{daemon->store(), daemon->events(), daemon->metrics(), {}};
  for (const auto& r : daemon->recorders()) d.sources.push_back(r.get());
  return d;
}

RollbackManager::RollbackManager(RollbackDeps deps, RollbackOptions options)
    : deps_(std::move(deps)), options_(std::move(options)) {}

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
  if (store->GetMeta(kNextId, &next).ok()) next_id_ = std::stoull(next);
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(store->ListMeta(kJournal, &entries));
  for (auto& [key, value] : entries) {
    Rollback rb;
    Status s = DecodeRollback(value, &rb);
    if (!s.ok()) {
      spdlog::error("rollback journal {}: {}", key, s.ToString());
      continue;
    }
    if (rb.state == "applying") Recover(&rb);
  }
  deadline_thread_ = std::thread([this] { DeadlineLoop(); });
  return Status::OK();
}

void RollbackManager::Stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (deadline_thread_.joinable()) deadline_thread_.join();
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
    uint64_t v = std::stoull(std::string(digits));
    VersionHeader h;
    NETSNAP_RETURN_IF_ERROR(store->Header(source, v, &h));
    *out = v;
    return Status::OK();
  }
  if (v_prefix) return Status::InvalidArgument("bad version '" + when + "'");
  int64_t t;
  NETSNAP_RETURN_IF_ERROR(ParseTime(when, NowNs(), &t));
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

Status RollbackManager::Submit(const RollbackRequest& req, Rollback* out) {
  Recorder* rec = FindSource(req.source);
  if (!rec) return Status::NotFound("no source named '" + req.source + "'");
  if (req.force && req.reason.empty()) {
    return Status::InvalidArgument("\"force\": true needs a \"reason\"");
  }
  Store* store = deps_.store;
  std::string idem_key = kIdempotency + req.source + "/" + req.idempotency_key;
  if (!req.idempotency_key.empty()) {
    std::string id;
    if (store->GetMeta(idem_key, &id).ok()) return Load(id, out);
  }
  Rollback rb;
  rb.source = req.source;
  rb.request = req;
  rb.created_ns = rb.updated_ns = NowNs();
  NETSNAP_RETURN_IF_ERROR(ResolveVersion(req.source, req.to, &rb.target_version));
  {
    std::lock_guard l(mu_);
    if (busy_.count(req.source)) {
      return Status::Conflict("a rollback of source '" + req.source + "' is already running");
    }
    busy_.insert(req.source);
    rb.id = std::to_string(next_id_++);
    store->PutMeta(kNextId, std::to_string(next_id_));
  }
  Status s = Run(&rb, rec);
  {
    std::lock_guard l(mu_);
    busy_.erase(req.source);
  }
  cv_.notify_all();
  if (!s.ok()) return s;
  if (!req.idempotency_key.empty()) store->PutMeta(idem_key, rb.id);
  *out = std::move(rb);
  return Status::OK();
}

Status RollbackManager::Run(Rollback* rb, Recorder* rec) {
  auto t0 = std::chrono::steady_clock::now();
  Store* store = deps_.store;
  const RollbackRequest& req = rb->request;
  Snapshot target;
  NETSNAP_RETURN_IF_ERROR(store->Reconstruct(rb->source, rb->target_version, &target));

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
      rb->state = "planned";
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

  // The state before is stored (LiveState committed it); journal the intent before any change.
  rb->pre_version = rec->state().latest.version;
  store->Pin(rb->source, rb->pre_version, "rollback " + rb->id);
  store->Pin(rb->source, rb->target_version, "rollback " + rb->id);
  rb->state = "applying";
  rb->updated_ns = NowNs();
  NETSNAP_RETURN_IF_ERROR(Save(*rb));

  Status s = ApplyTo(rec, target, req.scope, rb, plan, live);
  rb->total_ms = MsSince(t0);
  if (!s.ok()) {
    Status r = Revert(rb, rec, s.message());
    rb->state = "failed";
    if (!r.ok()) rb->error += "; the revert failed too: " + r.message();
  } else if (req.confirm_within_ns > 0 || !req.probes.empty()) {
    rb->state = "awaiting_confirmation";
    rb->deadline_ns = NowNs() + (req.confirm_within_ns > 0 ? req.confirm_within_ns
                                                           : options_.default_probe_window_ns);
  } else {
    rb->state = "applied";
  }
  Finish(rb, rec);
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
    for (ApplyFailure& f : result.failures) rb->failures.push_back({f.key, f.message});
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

void RollbackManager::Finish(Rollback* rb, Recorder* rec) {
  Store* store = deps_.store;
  rb->updated_ns = NowNs();
  Status s = Save(*rb);
  if (!s.ok()) spdlog::error("rollback {}: cannot journal: {}", rb->id, s.ToString());
  if (rb->finished()) {
    store->Unpin(rb->source, rb->pre_version);
    store->Unpin(rb->source, rb->target_version);
  }
  deps_.metrics->Add("netsnap_rollbacks_total", {{"source", rb->source}, {"outcome", rb->state}});
  boost::json::object ev;
  ev["rollback"] = rb->id;
  ev["state"] = rb->state;
  ev["cause"] = CauseName(rb->request.cause);
  ev["target_version"] = rb->target_version;
  ev["pre_version"] = rb->pre_version;
  ev["post_version"] = rb->post_version;
  ev["add"] = rb->adds;
  ev["remove"] = rb->removes;
  ev["replace"] = rb->replaces;
  ev["actor"] = rb->request.actor;
  ev["reason"] = rb->request.reason;
  ev["failures"] = rb->failures.size();
  if (!rb->error.empty()) ev["error"] = rb->error;
  deps_.events->Publish("rollback", rb->source, std::move(ev));
  (void)rec;
  cv_.notify_all();
}

void RollbackManager::Recover(Rollback* rb) {
  Recorder* rec = FindSource(rb->source);
  if (!rec) {
    rb->state = "failed";
    rb->error = "interrupted, and source '" + rb->source + "' is no longer configured";
    Save(*rb);
    return;
  }
  Snapshot target, live;
  Status s = deps_.store->Reconstruct(rb->source, rb->target_version, &target);
  if (s.ok()) s = LiveState(rec, &live);
  if (s.ok() && Mismatches(live, target, rb->request.scope).empty()) {
    rb->state = "applied";
    rb->error = "the daemon stopped after applying; verified on restart";
    rb->post_version = rec->state().latest.version;
  } else {
    Status r = s.ok() ? Revert(rb, rec, "the daemon stopped in the middle of this rollback") : s;
    rb->state = r.ok() ? "reverted" : "failed";
    if (!r.ok()) rb->error = "interrupted, and the revert failed: " + r.message();
  }
  spdlog::warn("rollback {} of {} was interrupted: {}", rb->id, rb->source, rb->state);
  Finish(rb, rec);
}

Status RollbackManager::Confirm(const std::string& id, const std::string& actor, Rollback* out) {
  std::lock_guard l(mu_);
  NETSNAP_RETURN_IF_ERROR(Load(id, out));
  if (out->state != "awaiting_confirmation") {
    return Status::Conflict("rollback " + id + " is " + out->state + ", not awaiting confirmation");
  }
  out->state = "confirmed";
  out->error = "confirmed by " + actor;
  Finish(out, FindSource(out->source));
  return Status::OK();
}

Status RollbackManager::Cancel(const std::string& id, const std::string& actor, Rollback* out) {
  std::unique_lock l(mu_);
  NETSNAP_RETURN_IF_ERROR(Load(id, out));
  if (out->state != "awaiting_confirmation") {
    return Status::Conflict("rollback " + id + " is " + out->state + "; only a rollback " +
                            "awaiting confirmation can be cancelled");
  }
  Recorder* rec = FindSource(out->source);
  if (!rec) return Status::NotFound("no source named '" + out->source + "'");
  if (busy_.count(out->source)) return Status::Conflict("a rollback of this source is running");
  busy_.insert(out->source);
  l.unlock();
  Status s = Revert(out, rec, "cancelled by " + actor);
  out->state = s.ok() ? "reverted" : "failed";
  Finish(out, rec);
  l.lock();
  busy_.erase(out->source);
  return Status::OK();
}

bool RollbackManager::ProbesPass(const Rollback& rb, Recorder* rec) {
  for (const Probe& p : rb.request.probes) {
    Status s = RunProbe(p, rec->source()->NetnsPath());
    if (!s.ok()) return false;
  }
  return true;
}

void RollbackManager::DeadlineLoop() {
  std::unique_lock l(mu_);
  while (!stopping_) {
    cv_.wait_for(l, std::chrono::nanoseconds(options_.probe_interval_ns));
    if (stopping_) break;
    l.unlock();
    std::vector<Rollback> open;
    std::vector<std::pair<std::string, std::string>> entries;
    if (deps_.store->ListMeta(kJournal, &entries).ok()) {
      for (auto& [k, v] : entries) {
        Rollback rb;
        if (DecodeRollback(v, &rb).ok() && rb.state == "awaiting_confirmation") {
          open.push_back(std::move(rb));
        }
      }
    }
    for (Rollback& rb : open) {
      Recorder* rec = FindSource(rb.source);
      if (!rec) continue;
      bool passed = !rb.request.probes.empty() && ProbesPass(rb, rec);
      bool expired = NowNs() >= rb.deadline_ns;
      if (!passed && !expired) continue;
      {
        std::lock_guard g(mu_);
        if (busy_.count(rb.source)) continue;
        busy_.insert(rb.source);
      }
      Rollback fresh;
      if (Load(rb.id, &fresh).ok() && fresh.state == "awaiting_confirmation") {
        if (passed) {
          fresh.state = "confirmed";
          fresh.error = "confirmed by its probes";
        } else {
          std::string why = fresh.request.probes.empty()
                                ? "not confirmed within the deadline"
                                : "its probes did not pass before the deadline";
          Status s = Revert(&fresh, rec, why);
          fresh.state = s.ok() ? "reverted" : "failed";
        }
        Finish(&fresh, rec);
      }
      std::lock_guard g(mu_);
      busy_.erase(rb.source);
    }
    l.lock();
  }
}

}  // namespace netsnap
