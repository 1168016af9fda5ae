// The interface index <-> name map of one namespace, kept from RTM_NEWLINK dumps and
// notifications, so that records name devices and never carry an ifindex.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <unordered_map>

namespace netsnap::kernel {

class LinkNames {
 public:
  // Updates the map from an RTM_NEWLINK or RTM_DELLINK message; ignores anything else.
  void Update(const nlmsghdr* nlh);
  void Set(uint32_t index, const std::string& name);
  void Clear();
  // The name of `index`; "if<index>" when unknown (a link that vanished during a dump).
  std::string Name(uint32_t index) const;
  // The index of `name`, or 0 when no such link exists.
  uint32_t Index(const std::string& name) const;
  size_t size() const { return names_.size(); }

 private:
  std::unordered_map<uint32_t, std::string> names_;
  std::unordered_map<std::string, uint32_t> indexes_;
};

}  // namespace netsnap::kernel
