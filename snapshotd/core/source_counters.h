// The counters each source exports in /metrics, labelled `source` (docs/api.md, "Metrics"):
// declared once with their help lines, and at 0 from the moment a source's recorder is made, so
// that a scrape shows every counter from the start (one that appears at its first increment
// hides that increase from rate() and from alerts on it).
#pragma once

#include <string>
#include <string_view>

#include "core/metrics.h"

namespace netsnap {

// Declares every source counter's type and help line.
void DescribeSourceCounters(Metrics* metrics);

// Adds 0 to each counter a source of `kind` ("kernel", "resolver") counts, labelled `source`:
// the recorder's own, and those the source counts through its sink (Source::Count).
void SeedSourceCounters(Metrics* metrics, const std::string& source, std::string_view kind);

}  // namespace netsnap
