#include "core/watchdog.h"

#include <spdlog/spdlog.h>

namespace netsnap {

Watchdog::Watchdog(const Notifier* notifier, Probe probe)
    : notifier_(notifier), probe_(std::move(probe)) {}

Watchdog::~Watchdog() { Stop(); }

void Watchdog::Start() {
  if (!notifier_->enabled() || notifier_->watchdog_usec() <= 0 || thread_.joinable()) return;
  auto period = std::chrono::microseconds(notifier_->watchdog_usec() / 2);
  thread_ = std::thread([this, period] { Run(period); });
}

void Watchdog::Stop() {
  {
    MutexLock l(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::Run(std::chrono::microseconds period) {
  std::string stuck_before;
  for (;;) {
    {
      MutexLock l(&mu_);
      if (stop_) return;
    }
    std::string stuck = probe_();
    if (stuck.empty()) {
      notifier_->Send("WATCHDOG=1");
      if (!stuck_before.empty()) spdlog::warn("watchdog: {} turns again", stuck_before);
    } else if (stuck != stuck_before) {
      spdlog::error("watchdog: {} is stuck; not pinging systemd", stuck);
    }
    stuck_before = std::move(stuck);
    MutexLock l(&mu_);
    cv_.WaitFor(&mu_, period, [this]() REQUIRES(mu_) { return stop_; });
  }
}

}  // namespace netsnap
