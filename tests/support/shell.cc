#include "shell.h"

#include <sys/wait.h>

#include <cstdio>

namespace netsnap::testing {

int Shell(const std::string& command, std::string* out) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return -1;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
    if (out) out->append(buf, n);
  }
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int ShellCombined(const std::string& command, std::string* out) {
  if (out) out->clear();
  return Shell(command + " 2>&1", out);
}

}  // namespace netsnap::testing
