// Which resolver rule applies to a name, answered from a recorded snapshot of a resolver source.
//
// Every format netsnap reads (dnsmasq server=/local=/address=, unbound forward-zone and
// stub-zone, systemd-resolved routing domains, resolv.conf) picks the rule of the most specific
// domain that is the name itself or one of its parents, compared label by label and without
// case; "." (the default) applies when none does. dnsmasq's "" rule (server=//…) applies to
// names without a dot before the default does.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lookup/record_reader.h"
#include "netsnap/record.h"
#include "netsnap/status.h"

namespace netsnap::lookup {

struct ResolverAnswer {
  std::optional<Record> rule;  // absent when the snapshot has no rule that applies
  std::string matched;         // the domain of that rule ("." for the default)
};

// InvalidArgument for a name that is empty, longer than 253 characters or has an empty label.
// Reads at most two keys per label of the name, and the defaults.
Status ResolverLookup(RecordReader* reader, std::string_view name, ResolverAnswer* out);
Status ResolverLookup(const Snapshot& snap, std::string_view name, ResolverAnswer* out);

}  // namespace netsnap::lookup
