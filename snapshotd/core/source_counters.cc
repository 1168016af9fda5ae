#include "core/source_counters.h"

namespace netsnap {

namespace {

struct SourceCounter {
  std::string_view name;
  std::string_view kind;  // the source kind that counts it; "": every source (the recorder)
  std::string_view help;
};

constexpr SourceCounter kCounters[] = {
    {"netsnap_versions_total", "", "Versions stored since start."},
    {"netsnap_capture_errors_total", "", "Failed captures."},
    {"netsnap_commit_failures_total", "",
     "Captures the store failed to write (disk full, I/O error)."},
    {"netsnap_netlink_overflows_total", "kernel",
     "Route notifications lost to a full receive buffer; a full re-read followed."},
    {"netsnap_notification_wakeups_total", "kernel", "Wake-ups to read route notifications."},
    {"netsnap_duplicate_keys_total", "kernel",
     "Records a dump held twice under one key (the first kept)."},
    {"netsnap_inotify_overflows_total", "resolver",
     "inotify queue overflows; the files were read again."},
    {"netsnap_resolver_unchanged_rereads_total", "resolver",
     "Re-reads after an inotify event that found the files unchanged."},
};

}  // namespace

void DescribeSourceCounters(Metrics* metrics) {
  for (const SourceCounter& c : kCounters) metrics->Describe(c.name, "counter", c.help);
}

void SeedSourceCounters(Metrics* metrics, const std::string& source, std::string_view kind) {
  for (const SourceCounter& c : kCounters) {
    if (c.kind.empty() || c.kind == kind) metrics->Add(c.name, {{"source", source}}, 0);
  }
}

}  // namespace netsnap
