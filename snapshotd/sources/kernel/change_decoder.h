// Turns rtnetlink notifications into record changes, or into a request for a full re-dump when
// a notification cannot be folded exactly:
// - link and address changes, and next-hop deletions: the kernel removes dependent routes
//   without telling anyone;
// - an IPv6 multipath route losing a next hop the decoder cannot find in the route it keeps.
// The kernel deletes an IPv6 multipath route one next hop at a time, and each notification
// names only the next hop removed, under the key of the route that remains: the decoder keeps
// the IPv6 multipath routes so that it can tell what remains.
#pragma once

#include <linux/netlink.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/route.h"
#include "netsnap/status.h"
#include "sources/kernel/kernel_filter.h"
#include "sources/kernel/link_names.h"

namespace netsnap::kernel {

class ChangeDecoder {
 public:
  enum class Effect { kNone, kChange, kRedump };

  explicit ChangeDecoder(const KernelFilter* filter) : filter_(filter) {}

  LinkNames& links() { return links_; }
  // Sets the IPv6 multipath routes of the state just dumped.
  void ResetMultipath(std::vector<Route> routes);

  // Decodes one notification. *change is set when *effect is kChange.
  Status Decode(const nlmsghdr* nlh, Change* change, Effect* effect);

 private:
  // Folds the removal of next hop `gone` from the IPv6 multipath route under `key`: false when
  // that route does not have exactly one such next hop.
  bool RemoveNexthop(const std::string& key, const Route& gone, Change* change);

  const KernelFilter* filter_;
  LinkNames links_;
  std::unordered_map<std::string, Route> ipv6_multipath_;  // by record key
};

}  // namespace netsnap::kernel
