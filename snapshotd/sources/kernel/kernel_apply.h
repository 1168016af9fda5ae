// Changing the live routing state: a delta of route, rule and next-hop records, whole and in any
// order, becomes rtnetlink requests (many per sendmsg, each acknowledged) sent in phases. This is
// the one place that knows in which order the kernel must see changes; restore/ hands over the
// whole delta (as FRR's zebra dataplane owns kernel ordering for the layers above it).
//
// The order is make-before-break: what a record needs exists before it is put, and nothing is
// removed while a record that stays still uses it.
//   1. connected routes put (no gateway, no next-hop object): the kernel checks a gateway next hop
//      or route against them when it is added ("Nexthop has invalid gateway" otherwise)
//   2. next-hop objects put
//   3. next-hop groups put: new members exist (2); members a group drops are removed in 9, after
//      the group was replaced without them
//   4. routes through a gateway, several next hops or a next-hop object: a route that moves from
//      a gateway to a group is replaced in place once the group exists
//   5. rules put, once the tables they send traffic to are filled
//   6. rules removed, before the routes of the tables they sent traffic to
//   7. routes removed, all kinds together: a removal carries no value to tell a connected route
//      from a gateway route, and removing the connected route that reaches a gateway leaves the
//      routes and next-hop objects through that gateway in place (checked on Linux 6.18)
//   8. next-hop groups removed (which ids are groups: a dump of the live next-hop objects, made
//      only when the delta removes next hops)
//   9. next-hop objects removed: a member deleted while still in a group would shrink the group,
//      or delete it and its routes with it when it was the last member
// A put of a key that exists (a replacement) goes in the put phases. put = RTM_NEW* with
// NLM_F_CREATE|NLM_F_REPLACE (a rule, which the kernel cannot replace, is removed by key and
// added again within its phase); remove = RTM_DEL*, where "already gone" counts as success.
//
// Every request of a phase is acknowledged before the next phase is sent. After a phase with
// failures no later phase is sent: its changes are neither applied nor reported as failures.
// Each failing record is reported with the kernel's message; a device name that no longer exists
// is "device X does not exist". A record that is not a kernel record fails the whole delta before
// anything is sent. Routes within a phase go out in a fixed pseudo-random order (see .cc).
#pragma once

#include <functional>
#include <string_view>

#include "netsnap/record.h"
#include "netsnap/source.h"
#include "netsnap/status.h"
#include "sources/kernel/link_names.h"
#include "sources/kernel/netlink_socket.h"

namespace netsnap::kernel {

// Called after each phase that sent requests, once the kernel answered all of them and before the
// next phase is sent, with the phase's name ("next-hop groups put"). A seam for tests that check
// the kernel's state between phases; the daemon passes none.
using PhaseDone = std::function<void(std::string_view phase)>;

// A non-OK status means the socket failed (the caller opens a new one); per-record failures go to
// *result.
Status ApplyChanges(NetlinkSocket* sock, const LinkNames& links, const Delta& changes,
                    ApplyResult* result, const PhaseDone& phase_done = nullptr);

}  // namespace netsnap::kernel
