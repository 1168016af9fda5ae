#include "detect/restorer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

#include "netsnap/time.h"

namespace netsnap {

namespace {

bool Intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  auto i = a.begin(), j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j)
      ++i;
    else if (*j < *i)
      ++j;
    else
      return true;
  }
  return false;
}

constexpr int64_t kHourNs = 3600LL * 1000000000;

template <typename D>
int64_t Ms(D ms) {
  return static_cast<int64_t>(static_cast<double>(ms) * 1e6);
}

}  // namespace

Restorer::Restorer(Daemon* daemon, RollbackManager* rollbacks,
                   std::function<bool(const std::string&)> busy, const Clock* clock)
    : daemon_(daemon), rollbacks_(rollbacks), busy_(std::move(busy)), clock_(clock) {
  daemon_->metrics()->Describe("netsnap_restores_total", "counter",
                               "Automated restores by outcome.");
  daemon_->metrics()->Describe("netsnap_detect_conflicts_total", "counter",
                               "Times automated restores stopped for a source (conflict).");
}

Restorer::~Restorer() { Stop(); }

void Restorer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Restorer::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

boost::json::object Restorer::EnterConflict(const std::string& source, PerSource* s,
                                            std::string why, const Actor& writer,
                                            const std::vector<std::string>& keys) {
  s->conflict = true;
  s->pending.reset();
  boost::json::object ev;
  ev["reason"] = std::move(why);
  ev["writer"] = ActorToJson(writer);
  ev["actor"] = ActorToJson(writer);
  ev["records"] = keys.size();
  ev["restores_last_hour"] = s->starts.size();
  ev["since"] = FormatTime(clock_->NowNs());
  s->conflict_event = ev;
  daemon_->metrics()->Add("netsnap_detect_conflicts_total", {{"source", source}});
  return ev;
}

void Restorer::Damage(const std::string& source, const DetectPolicy& policy,
                      const std::vector<Finding>& findings, int64_t changed_ns) {
  std::vector<std::string> keys;
  uint64_t from = UINT64_MAX;
  Actor actor;
  std::vector<std::string> kinds;
  for (const Finding& f : findings) {
    if (f.restore_keys.empty()) continue;
    keys.insert(keys.end(), f.restore_keys.begin(), f.restore_keys.end());
    from = std::min(from, f.before_version);
    if (!actor.known()) actor = f.actor;
    kinds.push_back(f.kind);
  }
  std::optional<boost::json::object> conflict;
  {
    MutexLock l(&mu_);
    PerSource& s = sources_[source];
    s.policy = policy;
    if (keys.empty() || policy.action != DetectAction::kRestore || s.conflict || from == 0) return;
    SortUnique(&keys);
    const int64_t now = clock_->MonotonicNs();
    const int64_t window = Ms(policy.conflict_window_s * 1000);
    bool recent = s.has_last && (s.running || now - s.last_end <= window);
    if (recent && Intersects(keys, s.last_keys)) {
      if (++s.redamage >= policy.conflict_repeats) {
        conflict = EnterConflict(source, &s,
                                 "the records of the last restore were damaged again " +
                                     std::to_string(s.redamage) + " times in a row within " +
                                     fmt::format("{:g}", policy.conflict_window_s) + " s",
                                 actor, keys);
      }
    } else if (s.has_last && !s.running && now - s.last_end > window) {
      s.redamage = 0;
    }
    if (!conflict) {
      const int64_t made = std::min(changed_ns, now);
      if (!s.pending) {
        s.pending = Burst{{}, from, made, made, actor, {}};
      }
      Burst& b = *s.pending;
      b.keys.insert(b.keys.end(), keys.begin(), keys.end());
      b.from_version = std::min(b.from_version, from);
      b.last = std::max(b.last, made);
      if (!b.actor.known()) b.actor = actor;
      b.kinds.insert(b.kinds.end(), kinds.begin(), kinds.end());
    }
  }
  cv_.SignalAll();
  if (conflict) {
    spdlog::warn("detection {}: conflict, automated restores stop: {}", source,
                 boost::json::serialize(*conflict));
    daemon_->events()->Publish("conflict", source, std::move(*conflict));
  }
}

void Restorer::Nudge() {
  // Under mu_: Run checks `busy` and waits with mu_ held, so the nudge cannot fall between.
  MutexLock l(&mu_);
  cv_.SignalAll();
}

void Restorer::Drop(const std::string& source) {
  MutexLock l(&mu_);
  sources_[source].pending.reset();
}

void Restorer::Clear(const std::string& source) {
  MutexLock l(&mu_);
  PerSource& s = sources_[source];
  s.conflict = false;
  s.conflict_event = {};
  s.redamage = 0;
  s.starts.clear();
  s.has_last = false;
  s.last_keys.clear();
}

boost::json::object Restorer::State(const std::string& source) {
  MutexLock l(&mu_);
  PerSource& s = sources_[source];
  boost::json::object o;
  o["restores"] = s.restores;
  o["failures"] = s.failures;
  o["pending"] = s.pending ? s.pending->keys.size() : 0;
  o["running"] = s.running;
  o["restores_last_hour"] = s.starts.size();
  o["conflict"] = s.conflict ? boost::json::value(s.conflict_event) : boost::json::value(nullptr);
  return o;
}

void Restorer::Run() {
  MutexLock l(&mu_);
  while (!stopping_) {
    // While a burst settles, reconstruct the version it will go back to: the store keeps it,
    // and the restore then starts from memory.
    std::string warm;
    uint64_t warm_version = 0;
    for (auto& [name, s] : sources_) {
      if (s.pending && !s.running && !s.conflict &&
          s.pending->warmed_version != s.pending->from_version) {
        warm = name;
        warm_version = s.pending->warmed_version = s.pending->from_version;
        break;
      }
    }
    if (!warm.empty()) {
      mu_.Unlock();
      Snapshot ignored;  // a warm-up only: a failure shows again when the restore reads it
      (void)daemon_->store()->Reconstruct(warm, warm_version, &ignored);
      mu_.Lock();
      continue;
    }
    const int64_t now = clock_->MonotonicNs();
    int64_t next = INT64_MAX;
    std::string due_source;
    std::optional<std::pair<std::string, boost::json::object>> told;
    for (auto& [name, s] : sources_) {
      if (!s.pending || s.running || s.conflict) continue;
      if ((told = StillChanging(&s, now, &next))) {
        due_source = name;
        break;
      }
      if (!s.pending) continue;
      const DetectPolicy& p = s.policy;
      int64_t due = s.pending->last + Ms(p.settle_ms);
      if (s.has_last) due = std::max(due, s.last_end + Ms(p.cooldown_s * 1000));
      // Settled in time, but versions of the source still wait: Nudge wakes us after each.
      if (due <= now && busy_ && busy_(name)) continue;
      if (due <= now) {
        due_source = name;
        break;
      }
      next = std::min(next, due);
    }
    if (due_source.empty()) {
      clock_->WaitUntil(&cv_, &mu_, next);
      continue;
    }
    if (told) {
      mu_.Unlock();
      spdlog::warn("detection {}: {}: {}", due_source, told->first,
                   told->second["reason"].as_string().c_str());
      daemon_->events()->Publish(told->first, due_source, std::move(told->second));
      mu_.Lock();
      continue;
    }
    PerSource& s = sources_[due_source];
    if (s.pending->synced_last != s.pending->last) {
      // Settled as far as detection has seen, which may be behind the writer (a commit of 10k
      // routes takes 100s of ms on a loaded machine): have the source deliver what it holds
      // first. A version that comes of it makes the source busy until inspected; damage in it
      // grows the burst, which then waits again.
      s.pending->synced_last = s.pending->last;
      mu_.Unlock();
      Recorder* rec = daemon_->FindSource(due_source);
      Status synced = rec ? rec->source()->Sync() : Status::OK();
      if (!synced.ok() && synced.code() != Status::Code::kUnavailable) {
        spdlog::warn("detection {}: sync before a restore: {}", due_source, synced.ToString());
      }
      mu_.Lock();
      continue;
    }
    while (!s.starts.empty() && now - s.starts.front() > kHourNs) {
      s.starts.pop_front();
    }
    if (static_cast<int>(s.starts.size()) >= s.policy.max_restores_per_hour) {
      Burst b = *s.pending;
      boost::json::object ev =
          EnterConflict(due_source, &s,
                        "the cap of " + std::to_string(s.policy.max_restores_per_hour) +
                            " restores an hour is reached",
                        b.actor, b.keys);
      mu_.Unlock();
      spdlog::warn("detection {}: conflict, automated restores stop: {}", due_source,
                   boost::json::serialize(ev));
      daemon_->events()->Publish("conflict", due_source, std::move(ev));
      mu_.Lock();
      continue;
    }
    Burst b = std::move(*s.pending);
    s.pending.reset();
    SortUnique(&b.keys);
    s.running = true;
    s.has_last = true;
    s.last_start = now;
    s.last_keys = b.keys;
    s.starts.push_back(now);
    mu_.Unlock();
    Restore(due_source, b, &s);
    mu_.Lock();
    s.running = false;
    s.last_end = clock_->MonotonicNs();
  }
}

std::optional<std::pair<std::string, boost::json::object>> Restorer::StillChanging(PerSource* s,
                                                                                   int64_t now,
                                                                                   int64_t* next) {
  Burst& b = *s->pending;
  const int64_t settled = b.last + Ms(s->policy.settle_ms);
  if (settled <= now) return std::nullopt;  // settled: the normal path restores it
  const int64_t report = b.first + Ms(s->policy.settle_max_ms);
  const int64_t limit = b.first + kMaxSettleWaitNs;
  *next = std::min(*next, b.told_waiting ? limit : report);
  if (now < report || (b.told_waiting && now < limit)) return std::nullopt;
  SortUnique(&b.keys);
  const int64_t waited_ms = (now - b.first) / 1000000;
  boost::json::object ev;
  ev["records"] = b.keys.size();
  ev["writer"] = ActorToJson(b.actor);
  ev["from_version"] = b.from_version;
  ev["waited_ms"] = waited_ms;
  const std::string writer = b.actor.known()
                                 ? b.actor.process + " (pid " + std::to_string(b.actor.pid) + ")"
                                 : "the writer";
  if (now < limit) {
    b.told_waiting = true;
    ev["reason"] = writer + " still damages the source " + std::to_string(waited_ms) +
                   " ms after the damage began; the restore waits until it stops for " +
                   std::to_string(s->policy.settle_ms) + " ms";
    return std::make_pair(std::string("restore_waiting"), std::move(ev));
  }
  ev["reason"] = writer + " kept damaging the source for " + std::to_string(waited_ms) +
                 " ms, longer than the " + std::to_string(kMaxSettleWaitNs / 1000000000) +
                 " s a restore waits for a writer to stop; nothing is restored";
  s->pending.reset();
  return std::make_pair(std::string("restore_abandoned"), std::move(ev));
}

void Restorer::Restore(const std::string& source, const Burst& b, PerSource* s) {
  RollbackRequest req;
  req.source = source;
  req.to = "v" + std::to_string(b.from_version);
  req.scope.keys = b.keys;
  req.cause = Cause::kRestore;
  req.actor = "detection";
  std::string kinds;
  for (const std::string& k : b.kinds) {
    if (kinds.find(k) == std::string::npos) kinds += (kinds.empty() ? "" : ", ") + k;
  }
  req.reason =
      "automated restore after " + kinds +
      (b.actor.known() ? " by " + b.actor.process + " (pid " + std::to_string(b.actor.pid) + ")"
                       : "");
  Rollback rb;
  Status st =
      rollbacks_ ? rollbacks_->Submit(req, &rb) : Status::Unavailable("no rollback manager");
  std::string outcome(st.ok() ? RollbackStateName(rb.state) : st.CodeName());
  daemon_->metrics()->Add("netsnap_restores_total", {{"source", source}, {"outcome", outcome}});
  boost::json::object ev;
  ev["outcome"] = outcome;
  ev["rollback"] = st.ok() ? boost::json::value(rb.id) : boost::json::value(nullptr);
  ev["from_version"] = b.from_version;
  ev["records"] = b.keys.size();
  ev["findings"] = kinds;
  ev["writer"] = ActorToJson(b.actor);
  if (st.ok()) ev["total_ms"] = rb.total_ms;
  bool failed = !st.ok() || rb.state != RollbackState::kApplied;
  if (failed) ev["error"] = st.ok() ? rb.error : st.ToString();
  {
    MutexLock l(&mu_);
    (failed ? s->failures : s->restores) += 1;
    // Another rollback of the source was running, or the live state kept changing under the
    // plan (detection behind its writer): not settled; try again once it settles. A burst
    // gathered meanwhile began later: the merged one goes back to before the first damage of
    // both (restoring this burst's keys from the later version would leave them deleted).
    if (st.code() == Status::Code::kConflict && !s->conflict) {
      if (!s->pending) {
        s->pending = b;
      } else {
        Burst& p = *s->pending;
        p.keys.insert(p.keys.end(), b.keys.begin(), b.keys.end());
        p.kinds.insert(p.kinds.end(), b.kinds.begin(), b.kinds.end());
        p.from_version = std::min(p.from_version, b.from_version);
        p.first = std::min(p.first, b.first);
        p.told_waiting = p.told_waiting || b.told_waiting;
        if (b.actor.known()) p.actor = b.actor;
      }
      s->pending->last = clock_->MonotonicNs();
      s->starts.pop_back();
    }
  }
  if (failed)
    spdlog::warn("detection {}: restore {}: {}", source, outcome, ev["error"].as_string().c_str());
  else
    spdlog::info("detection {}: restored {} records from version {}", source, b.keys.size(),
                 b.from_version);
  daemon_->events()->Publish("restore", source, std::move(ev));
}

}  // namespace netsnap
