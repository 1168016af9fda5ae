// Shell commands for tests: set-up (`ip`, `groupadd`) and the real CLI and daemon binaries.
#pragma once

#include <string>

namespace netsnap::testing {

// Runs `sh -c command`; returns its exit status (-1 when it did not exit) and appends its
// stdout to *out when given.
int Shell(const std::string& command, std::string* out = nullptr);

// The same with stderr merged into stdout; *out (when given) holds only this command's output.
int ShellCombined(const std::string& command, std::string* out = nullptr);

}  // namespace netsnap::testing
