// systemd's watchdog (WatchdogSec=): WATCHDOG=1 every half period, sent only while a probe
// finds every thread that must turn alive. A stuck capture thread or I/O loop stops the pings,
// and systemd restarts the daemon once a whole period passes without one.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

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
  void Stop();

 private:
  void Run(std::chrono::microseconds period);

  const Notifier* notifier_;
  Probe probe_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace netsnap
