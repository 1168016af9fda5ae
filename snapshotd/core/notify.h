// The systemd notification protocol (sd_notify(3)): one datagram per message to the Unix
// socket named by $NOTIFY_SOCKET. Written here rather than linking libsystemd: the protocol is
// one sendto(2) of "KEY=VALUE" lines, and the daemon needs nothing else from the library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace netsnap {

class Notifier {
 public:
  // Reads $NOTIFY_SOCKET ("/path" or "@abstract") and $WATCHDOG_USEC / $WATCHDOG_PID, then
  // unsets them so that child processes (resolver reload commands) do not talk to systemd as
  // if they were the daemon.
  static Notifier FromEnvironment();

  // Whether a socket was given; Send is a no-op otherwise.
  bool enabled() const { return !address_.empty(); }
  // The watchdog period systemd asked for (WatchdogSec=), 0 when none applies to this process.
  int64_t watchdog_usec() const { return watchdog_usec_; }

  // Sends `state` ("READY=1", "STATUS=...", several lines joined by '\n'). Best effort: a lost
  // notification is logged at debug level, never fatal.
  void Send(std::string_view state) const;

 private:
  std::string address_;  // sun_path bytes; a leading '\0' for an abstract socket
  int64_t watchdog_usec_ = 0;
};

}  // namespace netsnap
