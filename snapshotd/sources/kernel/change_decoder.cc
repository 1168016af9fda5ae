#include "sources/kernel/change_decoder.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "sources/kernel/nexthop_codec.h"
#include "sources/kernel/route_codec.h"
#include "sources/kernel/rule_codec.h"

namespace netsnap::kernel {

void ChangeDecoder::ResetMultipath(const std::vector<std::string>& keys) {
  ipv6_multipath_.clear();
  ipv6_multipath_.insert(keys.begin(), keys.end());
}

Status ChangeDecoder::Decode(const nlmsghdr* nlh, Change* change, Effect* effect) {
  *effect = Effect::kNone;
  switch (nlh->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      links_.Update(nlh);
      *effect = Effect::kRedump;
      return Status::OK();
    case RTM_DELADDR:
      *effect = Effect::kRedump;  // routes using the address as source go silently
      return Status::OK();
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      Route r;
      bool modelled;
      NETSNAP_RETURN_IF_ERROR(DecodeRoute(nlh, links_, &r, &modelled));
      if (!modelled || !filter_->KeepRoute(r)) return Status::OK();
      Record rec = r.ToRecord();
      const bool is_new = nlh->nlmsg_type == RTM_NEWROUTE;
      if (r.family == AF_INET6) {
        const bool multi = r.nexthops.size() > 1;
        const bool known_multi = ipv6_multipath_.count(rec.key) > 0;
        if ((is_new && (nlh->nlmsg_flags & NLM_F_APPEND) && !multi) ||
            (!is_new && known_multi && !multi)) {
          *effect = Effect::kRedump;
          return Status::OK();
        }
        if (is_new && multi) {
          ipv6_multipath_.insert(rec.key);
        } else {
          ipv6_multipath_.erase(rec.key);
        }
      }
      change->key = std::move(rec.key);
      if (is_new) {
        change->value = std::move(rec.value);
      } else {
        change->value.reset();
      }
      *effect = Effect::kChange;
      return Status::OK();
    }
    case RTM_NEWRULE:
    case RTM_DELRULE: {
      Rule r;
      bool modelled;
      NETSNAP_RETURN_IF_ERROR(DecodeRule(nlh, &r, &modelled));
      if (!modelled) return Status::OK();
      Record rec = r.ToRecord();
      change->key = std::move(rec.key);
      if (nlh->nlmsg_type == RTM_NEWRULE) {
        change->value = std::move(rec.value);
      } else {
        change->value.reset();
      }
      *effect = Effect::kChange;
      return Status::OK();
    }
    case RTM_NEWNEXTHOP: {
      Nexthop nh;
      NETSNAP_RETURN_IF_ERROR(DecodeNexthop(nlh, links_, &nh));
      Record rec = nh.ToRecord();
      change->key = std::move(rec.key);
      change->value = std::move(rec.value);
      *effect = Effect::kChange;
      return Status::OK();
    }
    case RTM_DELNEXTHOP:
      *effect = Effect::kRedump;  // routes using it (and group members) go silently
      return Status::OK();
    default:
      return Status::OK();
  }
}

}  // namespace netsnap::kernel
