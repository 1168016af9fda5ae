// rtnetlink next-hop object messages (RTM_NEWNEXTHOP/RTM_DELNEXTHOP) <-> Nexthop records.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>

#include "netsnap/nexthop.h"
#include "netsnap/status.h"
#include "sources/kernel/link_names.h"

namespace netsnap::kernel {

Status DecodeNexthop(const nlmsghdr* nlh, const LinkNames& links, Nexthop* out);

// Appends a request for `nh` to *buf: RTM_NEWNEXTHOP (the whole object) or RTM_DELNEXTHOP (the
// id), with NLM_F_REQUEST and `flags` (no NLM_F_ACK: see Transact). NotFound "device X does
// not exist" when the device has no link.
Status EncodeNexthop(const Nexthop& nh, uint16_t type, uint16_t flags, uint32_t seq,
                     const LinkNames& links, std::string* buf);

void EncodeNexthopDump(uint32_t seq, std::string* buf);

}  // namespace netsnap::kernel
