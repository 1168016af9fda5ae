// rtnetlink route messages <-> Route records.
//
// Decoding names devices through a LinkNames map, records a route that uses a next-hop object
// by its id alone (dropping the gateway and device the kernel echoes back), and keeps the
// attributes the model does not name as raw attributes (except volatile ones such as cache
// info and expiry timers).
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>

#include "netsnap/route.h"
#include "netsnap/status.h"
#include "sources/kernel/link_names.h"

namespace netsnap::kernel {

// Decodes an RTM_NEWROUTE or RTM_DELROUTE message. *modelled is false (and *out unspecified)
// for routes outside the model: families other than IPv4/IPv6 and cloned cache entries.
Status DecodeRoute(const nlmsghdr* nlh, const LinkNames& links, Route* out, bool* modelled);

// Appends a request for `r` to *buf: RTM_NEWROUTE (the full route) or RTM_DELROUTE (the key
// only). `flags` are added to NLM_F_REQUEST (no NLM_F_ACK: see Transact). NotFound "device X
// does not exist" when a device name has no link.
Status EncodeRoute(const Route& r, uint16_t type, uint16_t flags, uint32_t seq,
                   const LinkNames& links, std::string* buf);

// Appends a dump request for the routes of `family`, limited to `table` in the kernel when
// table != 0 (strict checking).
void EncodeRouteDump(uint8_t family, uint32_t table, uint32_t seq, std::string* buf);

// Appends a dump request for links (RTM_GETLINK).
void EncodeLinkDump(uint32_t seq, std::string* buf);

}  // namespace netsnap::kernel
