#include "detect/detection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

#include "core/event_bus.h"
#include "detect/detection_state.h"
#include "detect/owner_changes.h"
#include "detect/owner_config.h"
#include "netsnap/route_protocols.h"
#include "netsnap/time.h"
#include "sources/kernel/rt_protos.h"

namespace netsnap {

namespace {

constexpr int64_t kMaxPauseNs = 7LL * 86400 * 1000000000;

}  // namespace

Detection::Detection(Daemon* daemon, RollbackManager* rollbacks, PolicyMap policies,
                     const Clock* clock)
    : daemon_(daemon),
      clock_(clock),
      inbox_(std::make_shared<DetectionInbox>(daemon->metrics(), clock)),
      restorer_(
          daemon, rollbacks,
          [inbox = inbox_](const std::string& source) { return inbox->Busy(source); }, clock),
      configured_(std::move(policies)),
      hooks_(std::make_shared<WebhookSet>(daemon->metrics(), clock)) {
  daemon_->metrics()->Describe("netsnap_detections_total", "counter",
                               "Damage found in new versions, by source and kind.");
  daemon_->metrics()->Describe("netsnap_owner_changes_total", "counter",
                               "owner_change events: an owner changed its own routes.");
  daemon_->metrics()->Describe("netsnap_owner_exits_total", "counter",
                               "owner_exit events: routes vanished with their owner process.");
}

Status Detection::Create(Daemon* daemon, RollbackManager* rollbacks, const DaemonConfig& config,
                         std::unique_ptr<Detection>* out, const Clock* clock) {
  std::vector<std::string> names;
  for (const SourceSpec& s : config.sources) names.push_back(s.name);
  PolicyMap policies;
  NETSNAP_RETURN_IF_ERROR(ParsePolicies(config.document.get(),
                                        config.path.empty() ? "configuration" : config.path, names,
                                        &policies));
  RouteProtocols protocols;
  NETSNAP_RETURN_IF_ERROR(ParseOwners(config.document.get(),
                                      config.path.empty() ? "configuration" : config.path,
                                      kernel::kIproute2Dir, &protocols));
  InstallRouteProtocols(std::move(protocols));
  std::unique_ptr<Detection> d(new Detection(daemon, rollbacks, std::move(policies), clock));
  {
    MutexLock l(&d->mu_);
    NETSNAP_RETURN_IF_ERROR(d->RestoreStateLocked());
  }
  for (const std::string& name : names) {
    MutexLock l(&d->mu_);
    PerSource* s = d->SourceLocked(name);
    NETSNAP_RETURN_IF_ERROR(d->ApplyWebhook(name, s->policy));
    if (s->policy.action == DetectAction::kRestore && !rollbacks) {
      spdlog::warn("detection {}: action \"restore\" without a rollback manager", name);
    }
  }
  {
    MutexLock l(&d->mu_);
    NETSNAP_RETURN_IF_ERROR(d->ApplyWebhook("", d->configured_["*"]));
  }
  for (const auto& rec : daemon->recorders()) {
    rec->AddListener([inbox = d->inbox_](const VersionCommitted& v) { inbox->Push(v); });
  }
  d->subscription_ = daemon->events()->Subscribe([hooks = d->hooks_](const StoredEvent& e) {
    hooks->Post(e.source, boost::json::serialize(EventToJson(e)));
  });
  d->restorer_.Start();
  d->thread_ = std::thread([p = d.get()] { p->Run(); });
  *out = std::move(d);
  return Status::OK();
}

Detection::~Detection() { Stop(); }

void Detection::Stop() {
  if (stopped_) return;
  stopped_ = true;
  daemon_->events()->Unsubscribe(subscription_);
  inbox_->Close();
  if (thread_.joinable()) thread_.join();
  restorer_.Stop();
  hooks_->StopAll();
}

Detection::PerSource* Detection::SourceLocked(const std::string& name) {
  auto it = sources_.find(name);
  if (it != sources_.end()) return &it->second;
  PerSource& s = sources_[name];
  s.policy = ConfiguredLocked(name);
  for (const DetectorEntry& e : AllDetectors()) s.detectors.emplace_back(e.name, e.make());
  return &s;
}

const DetectPolicy& Detection::ConfiguredLocked(const std::string& source) {
  auto p = configured_.find(source);
  return p != configured_.end() ? p->second : configured_["*"];
}

Status Detection::RestoreStateLocked() {
  Store* store = daemon_->store();
  std::map<std::string, StoredPause> pauses;
  std::map<std::string, StoredPolicy> policies;
  NETSNAP_RETURN_IF_ERROR(LoadDetectionState(store, &pauses, &policies));
  const int64_t now = clock_->NowNs();
  for (const auto& [name, p] : pauses) {
    if (!daemon_->FindSource(name) || p.until_ns <= now) {
      NETSNAP_RETURN_IF_ERROR(DeletePause(store, name));
      continue;
    }
    PerSource* s = SourceLocked(name);
    s->paused_until_ns = p.until_ns;
    // What is left of it now, from now on the monotonic clock; never more than a pause may
    // last (a stored end far ahead is not trusted to fit).
    s->pause_due_ns = p.until_ns == INT64_MAX
                          ? INT64_MAX
                          : clock_->MonotonicNs() + std::min(p.until_ns - now, kMaxPauseNs);
    s->pause_reason = p.reason;
    s->paused_by = p.who;
    spdlog::info("detection {}: paused until {} by {} (stored)", name,
                 p.until_ns == INT64_MAX ? "resumed" : FormatTime(p.until_ns), p.who);
  }
  for (const auto& [name, p] : policies) {
    DetectPolicy set;
    if (!daemon_->FindSource(name) || PolicyToJson(ConfiguredLocked(name)) != p.configured ||
        !PolicyFromRequest(p.policy, configured_["*"], ConfiguredLocked(name), &set).ok()) {
      spdlog::warn(
          "detection {}: dropping the policy set at run time: the source or its [[policy]] in "
          "the configuration changed since",
          name);
      NETSNAP_RETURN_IF_ERROR(DeletePolicy(store, name));
      continue;
    }
    PerSource* s = SourceLocked(name);
    s->policy = std::move(set);
    s->policy_set = true;
  }
  return Status::OK();
}

void Detection::ResetLocked(PerSource* s) {
  for (auto& [name, d] : s->detectors) d->Reset();
}

Status Detection::ApplyWebhook(const std::string& source, const DetectPolicy& p) {
  WebhookOptions o;
  o.url = p.webhook_url;
  o.queue = p.webhook_queue;
  o.retries = p.webhook_retries;
  o.timeout_ms = p.webhook_timeout_ms;
  return hooks_->Use(source, o);
}

void Detection::Run() {
  DetectionInbox::Entry q;
  while (inbox_->Next(&q)) {
    Inspect(q);
    inbox_->Done();
    // A burst does not settle while versions of its source wait (Restorer's `busy`).
    restorer_.Nudge();
  }
}

bool Detection::PausedLocked(const PerSource& s) const {
  return s.pause_due_ns != 0 && clock_->MonotonicNs() < s.pause_due_ns;
}

void Detection::Inspect(const DetectionInbox::Entry& q) {
  const VersionCommitted& v = q.v;
  Diff diff = ComputeDiff(v.before, v.after);
  // Owners first, outside the lock: telling an owner's exit may wait for the process to go.
  const auto protocols = CurrentRouteProtocols();
  const OwnerVerdict owners =
      q.own || v.previous.version == 0 ? OwnerVerdict{} : ClassifyOwners(v, diff, *protocols);
  std::vector<Finding> findings;
  DetectPolicy policy;
  bool expired = false;
  {
    MutexLock l(&mu_);
    PerSource* s = SourceLocked(v.source);
    s->view.Advance(v.before, v.after, diff);
    if (q.own || v.previous.version == 0) return;
    if (s->pause_due_ns != 0) {
      if (PausedLocked(*s)) return;
      s->paused_until_ns = 0;
      s->pause_due_ns = 0;
      s->pause_reason.clear();
      s->paused_by.clear();
      Status d = DeletePause(daemon_->store(), v.source);
      // Harmless if it stays: a restart drops an expired pause.
      if (!d.ok()) spdlog::warn("detection {}: {}", v.source, d.ToString());
      ResetLocked(s);
      expired = true;
    }
    policy = s->policy;
    if (!policy.Trusts(v.current.actor.process) && !owners.all) {
      DetectContext ctx{s->policy, s->view, diff, q.changed_mono_ns};
      for (auto& [name, d] : s->detectors) {
        if (policy.RunsDetector(name)) d->Inspect(v, ctx, &findings);
      }
    }
  }
  if (expired) {
    daemon_->events()->Publish("detection_resume", v.source, {{"reason", "the pause expired"}});
  }
  DropOwnerDamage(owners, &findings);
  for (auto& [type, ev] : OwnerEvents(owners, v, *protocols, policy.restore_owner_exit)) {
    daemon_->metrics()->Add(
        type == "owner_exit" ? "netsnap_owner_exits_total" : "netsnap_owner_changes_total",
        {{"source", v.source}, {"protocol", std::string(ev.at("protocol").as_string())}});
    daemon_->events()->Publish(type, v.source, std::move(ev));
  }
  for (const Finding& f : findings) {
    daemon_->metrics()->Add("netsnap_detections_total", {{"source", v.source}, {"kind", f.kind}});
    spdlog::warn("detection {}: {}: {} (versions {} -> {})", v.source, f.kind, f.summary,
                 f.before_version, f.after_version);
    boost::json::object ev = FindingToJson(f);
    ev["action"] =
        policy.action == DetectAction::kRestore && !f.restore_keys.empty() ? "restore" : "alert";
    daemon_->events()->Publish("detection", v.source, std::move(ev));
  }
  if (policy.restore_owner_exit && !owners.exit_keys.empty()) {
    findings.push_back(OwnerExitFinding(owners, v));  // restored, not published as a detection
  }
  if (!findings.empty()) restorer_.Damage(v.source, policy, findings, q.changed_mono_ns);
}

bool Detection::Paused(const std::string& source) {
  MutexLock l(&mu_);
  auto it = sources_.find(source);
  return it != sources_.end() && PausedLocked(it->second);
}

bool Detection::WaitIdle(std::chrono::milliseconds limit) { return inbox_->WaitIdle(limit); }

Status Detection::Pause(const std::string& source, int64_t duration_ns, const std::string& reason,
                        const std::string& who) {
  if (!daemon_->FindSource(source)) return Status::NotFound("no source named '" + source + "'");
  if (duration_ns < 0 || duration_ns > kMaxPauseNs) {
    return Status::InvalidArgument("a pause lasts from 1 ns to 7 days (0: until resumed)");
  }
  const int64_t until = duration_ns == 0 ? INT64_MAX : clock_->NowNs() + duration_ns;
  const int64_t due = duration_ns == 0 ? INT64_MAX : clock_->MonotonicNs() + duration_ns;
  {
    MutexLock l(&mu_);
    NETSNAP_RETURN_IF_ERROR(SavePause(daemon_->store(), source, {until, reason, who}));
    PerSource* s = SourceLocked(source);
    s->paused_until_ns = until;
    s->pause_due_ns = due;
    s->pause_reason = reason;
    s->paused_by = who;
  }
  restorer_.Drop(source);
  boost::json::object ev;
  ev["until"] =
      duration_ns == 0 ? boost::json::value(nullptr) : boost::json::value(FormatTime(until));
  ev["reason"] = reason;
  ev["by"] = who;
  daemon_->events()->Publish("detection_pause", source, std::move(ev));
  return Status::OK();
}

Status Detection::Resume(const std::string& source) {
  if (!daemon_->FindSource(source)) return Status::NotFound("no source named '" + source + "'");
  {
    MutexLock l(&mu_);
    NETSNAP_RETURN_IF_ERROR(DeletePause(daemon_->store(), source));
    PerSource* s = SourceLocked(source);
    s->paused_until_ns = 0;
    s->pause_due_ns = 0;
    s->pause_reason.clear();
    s->paused_by.clear();
    ResetLocked(s);
  }
  restorer_.Clear(source);
  daemon_->events()->Publish("detection_resume", source, {{"reason", "resumed"}});
  return Status::OK();
}

boost::json::object Detection::PolicyJsonLocked(const std::string& source, PerSource* s) {
  boost::json::object o = PolicyToJson(s->policy, WebhookUrl::kShown);
  o["source"] = source;
  boost::json::object state = restorer_.State(source);
  bool paused = PausedLocked(*s);
  state["paused"] = paused;
  state["paused_until"] = paused && s->paused_until_ns != INT64_MAX
                              ? boost::json::value(FormatTime(s->paused_until_ns))
                              : boost::json::value(nullptr);
  state["pause_reason"] = paused ? s->pause_reason : "";
  state["paused_by"] = paused ? s->paused_by : "";
  o["state"] = std::move(state);
  return o;
}

Status Detection::GetPolicy(const std::string& source, boost::json::object* out) {
  if (!daemon_->FindSource(source)) return Status::NotFound("no source named '" + source + "'");
  MutexLock l(&mu_);
  *out = PolicyJsonLocked(source, SourceLocked(source));
  return Status::OK();
}

Status Detection::SetPolicy(const std::string& source, const boost::json::value& in,
                            boost::json::object* out) {
  if (!daemon_->FindSource(source)) return Status::NotFound("no source named '" + source + "'");
  if (!in.is_object()) return Status::InvalidArgument("a policy is a JSON object");
  const boost::json::object& obj = in.as_object();
  if (const auto* name = obj.if_contains("source")) {
    if (!name->is_string() || name->as_string() != source) {
      return Status::InvalidArgument("'source' must be \"" + source + "\" or absent");
    }
  }
  DetectPolicy p;
  {
    MutexLock l(&mu_);
    NETSNAP_RETURN_IF_ERROR(PolicyFromRequest(obj, configured_["*"], ConfiguredLocked(source), &p));
  }
  NETSNAP_RETURN_IF_ERROR(ApplyWebhook(source, p));
  {
    MutexLock l(&mu_);
    NETSNAP_RETURN_IF_ERROR(SavePolicy(daemon_->store(), source, p, ConfiguredLocked(source)));
    PerSource* s = SourceLocked(source);
    s->policy = p;
    s->policy_set = true;
    ResetLocked(s);
    *out = PolicyJsonLocked(source, s);
  }
  if (p.action != DetectAction::kRestore) restorer_.Drop(source);
  daemon_->events()->Publish("detection_policy", source, {{"policy", PolicyToJson(p)}});
  return Status::OK();
}

Status Detection::ReloadPolicies(PolicyMap policies) {
  NETSNAP_RETURN_IF_ERROR(ApplyWebhook("", policies["*"]));
  std::vector<std::pair<std::string, DetectPolicy>> changed;
  {
    MutexLock l(&mu_);
    PolicyMap old = std::move(configured_);
    configured_ = std::move(policies);
    for (auto& [name, s] : sources_) {
      auto o = old.find(name);
      const DetectPolicy& before = o != old.end() ? o->second : old["*"];
      const DetectPolicy& next = ConfiguredLocked(name);
      if (PolicyToJson(next, WebhookUrl::kShown) == PolicyToJson(before, WebhookUrl::kShown)) {
        continue;  // a policy set at run time stays
      }
      if (s.policy_set) {
        spdlog::warn("detection {}: the reloaded [[policy]] replaces the policy set at run time",
                     name);
        // Harmless if it stays: a restart drops a set policy whose configured one changed.
        Status d = DeletePolicy(daemon_->store(), name);
        if (!d.ok()) spdlog::warn("detection {}: {}", name, d.ToString());
        s.policy_set = false;
      }
      s.policy = next;
      ResetLocked(&s);
      changed.emplace_back(name, next);
    }
  }
  for (const auto& [name, p] : changed) {
    NETSNAP_RETURN_IF_ERROR(ApplyWebhook(name, p));
    if (p.action != DetectAction::kRestore) restorer_.Drop(name);
    daemon_->events()->Publish("detection_policy", name, {{"policy", PolicyToJson(p)}});
  }
  return Status::OK();
}

}  // namespace netsnap
