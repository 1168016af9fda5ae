// Whether a policy rule's selectors match a flow, as the kernel's fib_rule_match and
// fib4_rule_match / fib6_rule_match decide it (net/core/fib_rules.c, net/ipv4/fib_rules.c).
#pragma once

#include "lookup/flow.h"
#include "netsnap/rule.h"

namespace netsnap::lookup {

// True when `rule` (of the flow's family) selects `flow`. Selectors the record cannot evaluate
// without live kernel state (tunnel id, l3mdev) never match, as for a flow that carries neither.
// A rule's `iif`/`oif` compare by interface name; an interface that does not exist in the kernel
// never matches there either, so the two agree as long as names are not reused.
bool RuleMatches(const Rule& rule, const Flow& flow);

}  // namespace netsnap::lookup
