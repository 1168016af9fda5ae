// The process_* metrics Prometheus clients conventionally export (CPU time, start time,
// memory, descriptors), read from /proc/self at scrape time: a few small reads, no state kept.
#pragma once

#include <vector>

#include "core/metrics.h"

namespace netsnap {

// Declares each process_* metric's type and help line.
void DescribeProcessMetrics(Metrics* metrics);

// The values now. A metric whose /proc file cannot be read is left out (logged by nobody:
// /proc is always there on Linux; a sandbox without it shows fewer lines, not wrong ones).
std::vector<MetricSample> ProcessSamples();

}  // namespace netsnap
