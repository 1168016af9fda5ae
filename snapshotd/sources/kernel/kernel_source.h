// The `kernel` source: the routes of every table, the next-hop objects and the policy rules of
// one network namespace, captured continuously over rtnetlink (see capture_loop.h), read on
// demand, and changed back by Apply (see kernel_apply.h). Settings: kernel_config.h.
#pragma once

#include <memory>

#include "netsnap/source.h"

namespace netsnap {

// Builds a kernel source from its [[source]] table; InvalidArgument names a bad setting and
// its line, NotFound a namespace that does not exist.
Status NewKernelSource(const SourceSpec& spec, std::unique_ptr<Source>* out);

}  // namespace netsnap
