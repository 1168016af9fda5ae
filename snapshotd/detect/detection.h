// Detection (docs/detection.md): every new version of every source is checked for damage by
// the detectors of detector.h under the source's policy (policy.h). Each finding becomes a
// `detection` event (stored, logged, streamed, posted to the webhook) and is counted in
// netsnap_detections_total{source,kind}; with action = "restore" the damaged records are put
// back by the Restorer through the rollback manager, with cause `restore`.
//
// Versions the daemon made itself (cause rollback or restore) are not inspected. The recorder's
// listener only queues the version; inspection runs on the detection thread.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "core/clock.h"
#include "core/daemon.h"
#include "detect/detection_inbox.h"
#include "detect/detector.h"
#include "detect/policy.h"
#include "detect/restorer.h"
#include "detect/webhook.h"
#include "restore/rollback_manager.h"

namespace netsnap {

class Detection {
 public:
  // Reads the [[policy]] tables of `config` (InvalidArgument naming the line), restores the
  // stored pauses and policies set at run time (detection_state.h: an expired pause is dropped,
  // and so is a set policy whose source's configured policy changed meanwhile), attaches to
  // every recorder of `daemon` and starts the detection, restore and webhook threads. Call
  // after daemon->Start() (the recorders exist). `rollbacks` may be null: restores then fail.
  // Pauses, detection windows, settle delays, cooldowns and webhook backoff run on `clock`'s
  // monotonic clock; its wall clock gives the times shown and stored.
  static Status Create(Daemon* daemon, RollbackManager* rollbacks, const DaemonConfig& config,
                       std::unique_ptr<Detection>* out, const Clock* clock = Clock::Real());
  ~Detection();
  // Stops every thread; versions committed afterwards are ignored. Idempotent.
  void Stop();

  // While paused (for 0 < duration_ns <= 7 days, or until Resume) the source's versions are not
  // inspected and nothing is restored: a planned change goes through. A pending restore is
  // dropped. NotFound for an unknown source. `who` (the API principal) is shown in the state.
  // The pause is stored first (an error from the store leaves nothing paused) and survives a
  // restart until it expires. It runs on the monotonic clock: a wall-clock step while the
  // daemon runs does not move its end; the stored (wall-clock) end is what is shown, and what
  // a restart takes the time left from.
  Status Pause(const std::string& source, int64_t duration_ns, const std::string& reason,
               const std::string& who) EXCLUDES(mu_);
  // Ends a pause (and deletes it from the store) and a conflict; detection starts afresh from
  // the next version.
  Status Resume(const std::string& source) EXCLUDES(mu_);

  // {"source", policy keys..., "state": {paused, conflict, restores, ...}}.
  Status GetPolicy(const std::string& source, boost::json::object* out);
  // Replaces the source's policy: keys absent take the configured default ([[policy]] without
  // source); the webhook keys stay those of the configuration (PolicyFromRequest). "source",
  // "state" and "webhook" are accepted and ignored. Returns the new policy as GetPolicy does.
  // Stored first (an error from the store changes nothing); it survives restarts until set
  // again or until the configuration file's policy for the source changes (ReloadPolicies).
  Status SetPolicy(const std::string& source, const boost::json::value& in,
                   boost::json::object* out) EXCLUDES(mu_);

  // Makes `policies` (a reloaded configuration's [[policy]] tables, same sources) the
  // configured ones: a source whose configured policy changed takes the new one (replacing,
  // and deleting from the store, a policy set at run time) and its detectors start afresh;
  // a source whose configured policy is unchanged keeps a policy set at run time. Pauses stay.
  Status ReloadPolicies(PolicyMap policies) EXCLUDES(mu_);

  // Whether the source's detection is paused now (false for an unknown source).
  bool Paused(const std::string& source);

  // Waits until every version committed before the call has been inspected; false on timeout.
  bool WaitIdle(std::chrono::milliseconds limit);

 private:
  struct PerSource {
    DetectPolicy policy;
    std::vector<std::pair<std::string_view, std::unique_ptr<Detector>>> detectors;
    SourceView view;
    int64_t paused_until_ns = 0;  // wall clock, shown and stored; 0: not paused
    int64_t pause_due_ns = 0;     // monotonic clock, decides; INT64_MAX: until resumed
    std::string pause_reason;
    std::string paused_by;
    bool policy_set = false;  // the policy was set at run time (SetPolicy), not configured
  };

  Detection(Daemon* daemon, RollbackManager* rollbacks, PolicyMap policies, const Clock* clock);
  void Run() EXCLUDES(mu_);
  // Publishes events and hands damage to the restorer outside mu_.
  void Inspect(const DetectionInbox::Entry& q) EXCLUDES(mu_);
  // Whether `s` is paused now (on the monotonic clock).
  bool PausedLocked(const PerSource& s) const REQUIRES(mu_);
  PerSource* SourceLocked(const std::string& name) REQUIRES(mu_);
  void ResetLocked(PerSource* s) REQUIRES(mu_);
  // Takes the stored pauses and set policies of configured sources; deletes the others.
  Status RestoreStateLocked() REQUIRES(mu_);
  const DetectPolicy& ConfiguredLocked(const std::string& source) REQUIRES(mu_);
  Status ApplyWebhook(const std::string& source, const DetectPolicy& p);
  // Takes the restorer's lock inside mu_ (its State).
  boost::json::object PolicyJsonLocked(const std::string& source, PerSource* s) REQUIRES(mu_);

  Daemon* daemon_;
  const Clock* clock_;
  // Outlives Detection through the recorder listeners' copies.
  std::shared_ptr<DetectionInbox> inbox_;
  Restorer restorer_;
  Mutex mu_;
  PolicyMap configured_ GUARDED_BY(mu_);
  std::map<std::string, PerSource> sources_ GUARDED_BY(mu_);
  std::thread thread_;
  int subscription_ = 0;
  // Shared with the event bus subscription, which may still run on a publishing thread while
  // Detection goes away.
  std::shared_ptr<WebhookSet> hooks_;
  bool stopped_ = false;  // Stop runs on one thread (the service's, then the destructor)
};

}  // namespace netsnap
