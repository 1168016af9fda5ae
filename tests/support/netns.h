// A network namespace a test creates and deletes, with a veth pair whose both ends live inside
// it (the `dummy` link type is not available). Nothing here touches the host's own namespace.
#pragma once

#include <cstdint>
#include <string>

#include "shell.h"  // Shell(): tests that make namespaces run commands too

namespace netsnap::testing {

class NetNs {
 public:
  // Creates "nstest-<pid>-<n>" with veth pair (a0, b0) up and addressed 10.99.0.1/24 and
  // 10.99.0.2/24, fd00:99::1/64 on a0. Throws on failure.
  NetNs();
  ~NetNs();
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }
  // Runs `ip -n NAME <args>`; returns its exit status. Output goes to *out when given.
  int Ip(const std::string& args, std::string* out = nullptr) const;
  // Runs `ip -n NAME <args>` and returns the pid the ip process had (-1 when it failed), so a
  // test can check the actor recorded for the change.
  int IpPid(const std::string& args) const;
  // Runs `ip -n NAME -batch FILE`.
  int IpBatch(const std::string& file) const;
  // Runs a shell command inside the namespace (`ip netns exec NAME sh -c ...`).
  int Exec(const std::string& command, std::string* out = nullptr) const;
  // A socket of `type` (SOCK_STREAM or SOCK_DGRAM, with flags) made inside the namespace and
  // bound to the IPv4 `address` and an ephemeral port (*port); a stream socket listens. The
  // caller closes it. -1 when it cannot be made.
  int Socket(int type, const std::string& address, uint16_t* port) const;

 private:
  std::string name_;
};

}  // namespace netsnap::testing
