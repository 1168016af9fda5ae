// Entering network namespaces. A namespace is named as in the configuration: a name under
// /run/netns, or a path such as /proc/PID/ns/net; empty means the daemon's own namespace.
//
// setns() changes only the calling thread, and a socket keeps the namespace it was created in,
// so a socket for another namespace can be opened from a short-lived thread.
#pragma once

#include <functional>
#include <string>

#include "netsnap/status.h"

namespace netsnap::kernel {

// The file a namespace spec refers to ("" for the own namespace).
std::string NetnsPath(const std::string& spec);

// Opens the namespace file (O_RDONLY|O_CLOEXEC) into *fd; *fd = -1 for the own namespace.
Status OpenNetns(const std::string& spec, int* fd);

// Moves the calling thread into namespace `fd` (no-op for -1).
Status EnterNetns(int fd);

// Runs fn on a new thread that has entered namespace `fd`, waits for it and returns its status.
Status RunInNetns(int fd, const std::function<Status()>& fn);

}  // namespace netsnap::kernel
