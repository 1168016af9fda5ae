// Runs code as the unprivileged user `nobody` (uid and gid 65534, no supplementary groups) in a
// forked child, for tests of what a user other than root may do. Tests run as root in CI, where
// a permission check made by root always passes: drop to nobody instead of skipping.
#pragma once

#include <functional>
#include <string>

namespace netsnap::testing {

inline constexpr unsigned kNobody = 65534;

// Forks; the child drops to nobody (setgroups, setgid, setuid; exit 125 when that fails) and
// exits with fn's value. Returns that exit status, or 128 + the signal that ended the child.
// The parent must be root. fn runs in a child of a possibly multi-threaded process: keep it to
// system calls and plain code (no locks the parent's threads may hold).
int RunAsNobody(const std::function<int()>& fn);

// Runs `sh -c command` as nobody with stdin from /dev/null; returns its exit status and
// captures stdout (and stderr, merged) in *out when given.
int ShellAsNobody(const std::string& command, std::string* out = nullptr);

}  // namespace netsnap::testing
