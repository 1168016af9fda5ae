// Turns rtnetlink notifications into record changes, or into a request for a full re-dump when
// a notification cannot be folded exactly:
// - link and address changes, and next-hop deletions: the kernel removes dependent routes
//   without telling anyone;
// - an IPv6 multipath route losing one of its next hops: the notification names only the
//   removed next hop, under the same key as the route that remains.
#pragma once

#include <linux/netlink.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "sources/kernel/kernel_filter.h"
#include "sources/kernel/link_names.h"

namespace netsnap::kernel {

class ChangeDecoder {
 public:
  enum class Effect { kNone, kChange, kRedump };

  explicit ChangeDecoder(const KernelFilter* filter) : filter_(filter) {}

  LinkNames& links() { return links_; }
  // Sets the IPv6 multipath keys of the state just dumped.
  void ResetMultipath(const std::vector<std::string>& keys);

  // Decodes one notification. *change is set when *effect is kChange.
  Status Decode(const nlmsghdr* nlh, Change* change, Effect* effect);

 private:
  const KernelFilter* filter_;
  LinkNames links_;
  std::unordered_set<std::string> ipv6_multipath_;
};

}  // namespace netsnap::kernel
