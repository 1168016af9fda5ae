// Changing the live routing state: a delta of route, rule and next-hop records becomes one batch
// of rtnetlink requests (many per sendmsg, each acknowledged), ordered so that dependencies
// hold: routes are removed first, then rules, then next hops; next hops are put first (plain
// ones before groups), then rules, then routes.
//
// put = RTM_NEW* with NLM_F_CREATE|NLM_F_REPLACE (a rule, which the kernel cannot replace, is
// removed by key and added again); remove = RTM_DEL*, where "already gone" counts as success.
// Each failing record is reported with the kernel's message; a device name that no longer exists
// is "device X does not exist".
#pragma once

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "sources/kernel/link_names.h"
#include "sources/kernel/netlink_socket.h"
#include "sources/source.h"

namespace netsnap::kernel {

Status ApplyChanges(NetlinkSocket* sock, const LinkNames& links, const Delta& changes,
                    ApplyResult* result);

}  // namespace netsnap::kernel
