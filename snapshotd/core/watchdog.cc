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
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::Run(std::chrono::microseconds period) {
  std::string stuck_before;
  std::unique_lock l(mu_);
  while (!stop_) {
    l.unlock();
    std::string stuck = probe_();
    if (stuck.empty()) {
      notifier_->Send("WATCHDOG=1");
      if (!stuck_before.empty()) spdlog::warn("watchdog: {} turns again", stuck_before);
    } else if (stuck != stuck_before) {
      spdlog::error("watchdog: {} is stuck; not pinging systemd", stuck);
    }
    stuck_before = std::move(stuck);
    l.lock();
    cv_.wait_for(l, period, [this] { return stop_; });
  }
}

}  // namespace netsnap
