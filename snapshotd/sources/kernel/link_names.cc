#include "sources/kernel/link_names.h"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "sources/kernel/netlink_attrs.h"

namespace netsnap::kernel {

void LinkNames::Update(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) return;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) return;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  auto index = static_cast<uint32_t>(ifi->ifi_index);
  auto old = names_.find(index);
  if (old != names_.end()) {
    indexes_.erase(old->second);
    names_.erase(old);
  }
  if (nlh->nlmsg_type == RTM_DELLINK) return;
  for (const nlattr* attr : Attrs(nlh, sizeof(ifinfomsg))) {
    if (mnl_attr_get_type(attr) == IFLA_IFNAME) {
      const char* s = static_cast<const char*>(mnl_attr_get_payload(attr));
      Set(index, std::string(s, strnlen(s, mnl_attr_get_payload_len(attr))));
    }
  }
}

void LinkNames::Set(uint32_t index, const std::string& name) {
  names_[index] = name;
  indexes_[name] = index;
}

void LinkNames::Clear() {
  names_.clear();
  indexes_.clear();
}

std::string LinkNames::Name(uint32_t index) const {
  auto it = names_.find(index);
  return it != names_.end() ? it->second : "if" + std::to_string(index);
}

uint32_t LinkNames::Index(const std::string& name) const {
  auto it = indexes_.find(name);
  return it != indexes_.end() ? it->second : 0;
}

}  // namespace netsnap::kernel
