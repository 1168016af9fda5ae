// systemd's watchdog (WatchdogSec=): WATCHDOG=1 every half period, sent only while a probe
// finds every thread that must turn alive. A stuck capture thread or I/O loop stops the pings,
// and systemd restarts the daemon once a whole period passes without one.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "core/notify.h"

namespace netsnap {

class Watchdog {
 public:
  // Returns "" when everything is alive, else what is stuck (logged once per stall). Called on
  // the watchdog's thread once a period.
  using Probe = std::function<std::string()>;

  Watchdog(const Notifier* notifier, Probe probe);
  ~Watchdog();

  // Starts pinging when systemd asked for a watchdog; a no-op otherwise.
  void Start();
  void Stop() EXCLUDES(mu_);

 private:
  void Run(std::chrono::microseconds period) EXCLUDES(mu_);

  const Notifier* notifier_;
  Probe probe_;
  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace netsnap
