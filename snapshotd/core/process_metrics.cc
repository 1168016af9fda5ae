#include "core/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace netsnap {

namespace {

struct ProcessMetric {
  const char* name;
  const char* type;
  const char* help;
};

constexpr ProcessMetric kProcessMetrics[] = {
    {"process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds."},
    {"process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch."},
    {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes."},
    {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."},
    {"process_open_fds", "gauge", "Open file descriptors."},
    {"process_max_fds", "gauge", "The limit on open file descriptors (RLIMIT_NOFILE)."},
};

// The fields of /proc/self/stat after the command name (which may hold spaces and
// parentheses): fields[0] is field 3 of proc(5), the state.
bool StatFields(std::vector<std::string>* fields) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 1));
  for (std::string f; rest >> f;) fields->push_back(f);
  return fields->size() >= 22;  // up to rss, field 24
}

// The boot time in seconds since the epoch ("btime" of /proc/stat), 0 when unknown.
double BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

// Open descriptors: the entries of /proc/self/fd except the one listing them; -1 when unknown.
double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  const std::string own = std::to_string(dirfd(dir));
  double n = 0;
  while (const dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != ".." && name != own) ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace

void DescribeProcessMetrics(Metrics* metrics) {
  for (const ProcessMetric& m : kProcessMetrics) metrics->Describe(m.name, m.type, m.help);
}

std::vector<MetricSample> ProcessSamples() {
  std::vector<MetricSample> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::vector<std::string> f;
  if (ticks > 0 && StatFields(&f)) {
    // proc(5) fields 14 utime, 15 stime, 22 starttime (clock ticks after boot), 23 vsize
    // (bytes), 24 rss (pages); f[i] is field i + 3.
    auto field = [&](int n) { return std::strtod(f[static_cast<size_t>(n - 3)].c_str(), nullptr); };
    out.push_back({"process_cpu_seconds_total", {}, (field(14) + field(15)) / ticks});
    if (double boot = BootTime(); boot > 0) {
      out.push_back({"process_start_time_seconds", {}, boot + field(22) / ticks});
    }
    out.push_back({"process_virtual_memory_bytes", {}, field(23)});
    out.push_back({"process_resident_memory_bytes",
                   {},
                   field(24) * static_cast<double>(sysconf(_SC_PAGESIZE))});
  }
  if (double fds = OpenFds(); fds >= 0) out.push_back({"process_open_fds", {}, fds});
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back({"process_max_fds", {}, static_cast<double>(limit.rlim_cur)});
  }
  return out;
}

}  // namespace netsnap
