// rtnetlink policy-rule messages (RTM_NEWRULE/RTM_DELRULE) <-> Rule records.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>

#include "netsnap/rule.h"
#include "netsnap/status.h"

namespace netsnap::kernel {

// Decodes a rule message. *modelled is false for families other than IPv4/IPv6.
Status DecodeRule(const nlmsghdr* nlh, Rule* out, bool* modelled);

// Appends a request for `r` to *buf. RTM_NEWRULE carries the whole rule; RTM_DELRULE carries
// the key (priority and selectors) so that it removes the rule whatever its action.
// `flags` are added to NLM_F_REQUEST (no NLM_F_ACK: see Transact).
Status EncodeRule(const Rule& r, uint16_t type, uint16_t flags, uint32_t seq, std::string* buf);

// Appends a dump request for the rules of `family`.
void EncodeRuleDump(uint8_t family, uint32_t seq, std::string* buf);

}  // namespace netsnap::kernel
