#include "service/service.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "detect/owner_config.h"
#include "detect/policy.h"
#include "service/config_check.h"
#include "sources/kernel/rt_protos.h"

namespace netsnap {

namespace {

int64_t MonotonicNs() {
  return std::chrono::steady_clock::now().time_since_epoch() / std::chrono::nanoseconds(1);
}

// True when the API server of `a` serves as that of `b` would, but for the tokens in the file.
bool SameApiSettings(const DaemonConfig& a, const DaemonConfig& b) {
  return a.listen == b.listen && a.metrics_listen == b.metrics_listen && a.threads == b.threads &&
         a.workers == b.workers && a.token_file == b.token_file && a.socket == b.socket &&
         a.socket_group == b.socket_group &&
         a.allow_loopback_operator == b.allow_loopback_operator &&
         a.allowed_hosts == b.allowed_hosts && a.max_followers == b.max_followers &&
         a.max_connections_per_client == b.max_connections_per_client;
}

// Test hook (tests/e2e, like the recorder's NETSNAP_TEST_STALL_FILE): while the file that
// $NETSNAP_TEST_HOLD_APPLY_FILE names holds "hold", a rollback between its plan and its apply
// writes "held" there and waits until the file is gone, so that a test can change the live
// state in that window (docs/api.md: the rollback plans again, or answers 409 with
// if_unchanged). Nothing when the variable is unset, as it is in production.
std::function<void()> HoldApplyHook() {
  const char* env = std::getenv("NETSNAP_TEST_HOLD_APPLY_FILE");
  if (!env || !*env) return {};
  return [file = std::string(env)] {
    std::string word;
    if (!(std::ifstream(file) >> word) || word != "hold") return;
    std::ofstream(file) << "held\n";
    while (access(file.c_str(), F_OK) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
}

}  // namespace

Service::Service(DaemonConfig config) : config_(config), daemon_(std::move(config)) {}

Service::~Service() { Stop(); }

Status Service::Start() {
  NETSNAP_RETURN_IF_ERROR(daemon_.Start());
  // Retention removes expired idempotency keys; their format is the rollback module's.
  daemon_.SetIdempotencyPruner([store = daemon_.store()](int64_t before_ns, uint64_t* removed) {
    size_t n = 0;
    Status s =
        RollbackJournal::RemoveExpiredKeys(store, before_ns + RetentionRunner::kIdempotencyNs, &n);
    *removed = n;
    return s;
  });
  MutexLock l(&mu_);
  Status s = StartModules(config_);
  if (!s.ok()) {
    StopModules();
    daemon_.Stop();
  }
  return s;
}

Status Service::StartModules(const DaemonConfig& config) {
  RollbackOptions rollback_options;
  rollback_options.guard.shrink_share = config.guard_shrink_share;
  rollback_options.guard.min_records = config.guard_min_records;
  rollback_options.before_apply = HoldApplyHook();
  rollbacks_ = std::make_unique<RollbackManager>(RollbackDeps::Of(&daemon_), rollback_options);
  NETSNAP_RETURN_IF_ERROR(rollbacks_->Start().WithContext("rollbacks"));
  NETSNAP_RETURN_IF_ERROR(
      Detection::Create(&daemon_, rollbacks_.get(), config, &detection_).WithContext("detection"));
  rollback_service_ = std::make_unique<api::ManagedRollbacks>(rollbacks_.get(), daemon_.store());
  return StartApi(config);
}

Status Service::StartApi(const DaemonConfig& config) {
  ApiOptions options;
  options.rollbacks = rollback_service_.get();
  options.detection = detection_.get();
  options.listen = config.listen;
  options.metrics_listen = config.metrics_listen;
  options.threads = config.threads;
  options.workers = config.workers;
  options.token_file = config.token_file;
  options.socket = config.socket;
  options.socket_group = config.socket_group;
  options.allow_loopback_operator = config.allow_loopback_operator;
  options.allowed_hosts = config.allowed_hosts;
  options.max_followers = static_cast<size_t>(config.max_followers);
  options.max_connections_per_client = static_cast<size_t>(config.max_connections_per_client);
  api_alive_ns_->store(0);  // a new I/O loop: its first ping counts from the next probe
  return ApiServer::Start(&daemon_, options, &api_).WithContext("API");
}

void Service::StopModules() {
  if (api_) api_->Stop();
  if (detection_) detection_->Stop();
  if (rollbacks_) rollbacks_->Stop();
  api_.reset();
  rollback_service_.reset();
  detection_.reset();
  rollbacks_.reset();
}

void Service::Stop() {
  MutexLock l(&mu_);
  if (stopped_) return;
  stopped_ = true;
  StopModules();
  daemon_.Stop();
}

Status Service::Reload(DaemonConfig next) {
  NETSNAP_RETURN_IF_ERROR(CheckConfig(next));
  // From the start: config_ is read; the parsing below takes milliseconds.
  MutexLock l(&mu_);
  if (next.data_dir != config_.data_dir) {
    return Status::InvalidArgument("data_dir changed from " + config_.data_dir + " to " +
                                   next.data_dir + "; that needs a restart");
  }
  std::vector<std::string> names;
  for (const SourceSpec& s : next.sources) names.push_back(s.name);
  PolicyMap policies;
  NETSNAP_RETURN_IF_ERROR(ParsePolicies(next.document.get(), next.path, names, &policies));
  RouteProtocols owners;
  NETSNAP_RETURN_IF_ERROR(
      ParseOwners(next.document.get(), next.path, kernel::kIproute2Dir, &owners));

  spdlog::set_level(spdlog::level::from_str(next.log_level));
  daemon_.SetRetention(next.retention, next.max_disk_bytes);
  if (!SameSources(config_, next)) {
    StopModules();
    Status s = daemon_.ApplySources(next);
    if (s.ok()) s = StartModules(next);
    if (!s.ok()) {
      // Back to the old configuration; sources that could not be built left nothing changed.
      StopModules();
      Status back = StartModules(config_);
      if (!back.ok()) {
        return Status::Internal(s.message() +
                                "; and the old configuration failed too: " + back.message());
      }
      return s;
    }
  } else {
    NETSNAP_RETURN_IF_ERROR(detection_->ReloadPolicies(std::move(policies)));
    if (SameApiSettings(config_, next)) {
      // A rotated token file: swapped in place, open connections and event streams stay.
      NETSNAP_RETURN_IF_ERROR(api_->ReloadTokens());
    } else {
      // Another listen address, socket or limits: a new API server.
      api_->Stop();
      api_.reset();
      Status s = StartApi(next);
      if (!s.ok()) {
        Status back = StartApi(config_);
        if (!back.ok()) {
          return Status::Internal(s.message() + "; and the old API failed too: " + back.message());
        }
        return s;
      }
    }
  }
  // Last, once nothing can fail: a reload that fails keeps the old owners. (Modules started
  // from `next` installed them already; a failure restarted them from config_, which put the
  // old ones back.)
  InstallRouteProtocols(std::move(owners));
  config_ = std::move(next);
  return Status::OK();
}

std::string Service::Stuck(int64_t limit_ns) {
  if (!mu_.TryLock()) return "";  // a reload replaces modules now; it ends on its own
  std::string stuck = StuckLocked(limit_ns);
  mu_.Unlock();
  return stuck;
}

std::string Service::StuckLocked(int64_t limit_ns) {
  const int64_t now = MonotonicNs();
  for (const auto& r : daemon_.recorders()) {
    if (r->state().state != "running") continue;  // no capture thread to wait for
    int64_t alive = r->last_alive_ns();
    if (alive != 0 && now - alive > limit_ns) return "the capture thread of source " + r->name();
  }
  if (!api_) return "";
  int64_t alive = api_alive_ns_->load();
  bool stuck = alive != 0 && now - alive > limit_ns;
  // The next ping: the I/O loop stamps it when it runs the handler.
  api_->Post([alive = api_alive_ns_] { alive->store(MonotonicNs()); });
  if (alive == 0) api_alive_ns_->store(now);  // the first ping counts from now
  return stuck ? "the API's I/O loop" : "";
}

std::string Service::SourcesLine() {
  MutexLock l(&mu_);
  std::string line;
  for (const auto& r : daemon_.recorders()) {
    SourceState st = r->state();
    if (!line.empty()) line += ", ";
    line += r->name() + " " + st.state + " v" + std::to_string(st.latest.version);
  }
  return line;
}

}  // namespace netsnap
