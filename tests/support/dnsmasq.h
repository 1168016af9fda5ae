// A real dnsmasq for tests: free loopback ports, a dnsmasq process the test owns, and queries
// with dig. Everything listens on 127.0.0.1 only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace netsnap::testing {

inline constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

// True when dnsmasq and dig are installed.
bool HaveDnsmasq();

// A loopback port free for both UDP and TCP right now.
uint16_t FreePort();

// One dnsmasq in the foreground with the given configuration file, output to `log`; stopped
// (SIGTERM, then SIGKILL) when destroyed.
class Dnsmasq {
 public:
  Dnsmasq(const std::string& conf, const std::string& log);
  ~Dnsmasq();
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;
  pid_t pid() const { return pid_; }
  bool running() const;

 private:
  pid_t pid_ = 0;
};

// dig's short answer (addresses, one a line), or "status: X" when there is none.
std::string Query(const std::string& server, uint16_t port, const std::string& name);

// Polls (bounded, about 5 s) until `name` resolves to `want` through 127.0.0.1:port; returns
// the last answer.
std::string WaitForAnswer(uint16_t port, const std::string& name, const std::string& want);

}  // namespace netsnap::testing
