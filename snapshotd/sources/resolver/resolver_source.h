// The `resolver` source: DNS resolver rules captured continuously from configuration files
// (resolv.conf, dnsmasq, systemd-resolved, unbound).
//
// Start reads everything and delivers a full snapshot (cause startup). Afterwards a burst of
// file changes (quiet for debounce_ms, or at most 10 × debounce_ms after the first event)
// becomes one full snapshot with cause event, delivered only when the content changed. Every
// reread_s a full re-read is delivered with cause periodic, changed or not, which heals missed
// events. Deliveries are always OnSnapshot, never OnChanges.
//
// Apply writes kFile records back (see file_writer.h) and removes files whose record is
// removed, then runs the reload command. Records of other kinds are derived from the files and
// ignored by Apply; ResolverFileRecords gives the file records a target snapshot needs. When
// the reload command fails, Apply returns its error (the files are written, *result says so).
#pragma once

#include <memory>

#include "netsnap/source.h"

namespace netsnap {

// Builds a resolver source from its spec (see resolver_config.h for the keys).
Status NewResolverSource(const SourceSpec& spec, std::unique_ptr<Source>* out);

// The kFile records of a snapshot (what a restore of that snapshot writes).
Snapshot ResolverFileRecords(const Snapshot& target);

}  // namespace netsnap
