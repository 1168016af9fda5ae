#include "sources/kernel/change_decoder.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

#include "sources/kernel/nexthop_codec.h"
#include "sources/kernel/route_codec.h"
#include "sources/kernel/rule_codec.h"

namespace netsnap::kernel {

void ChangeDecoder::ResetMultipath(std::vector<Route> routes) {
  ipv6_multipath_.clear();
  for (Route& r : routes) {
    std::string key = r.Key();
    ipv6_multipath_.emplace(std::move(key), std::move(r));
  }
}

bool ChangeDecoder::RemoveNexthop(const std::string& key, const Route& gone, Change* change) {
  auto it = ipv6_multipath_.find(key);
  if (it == ipv6_multipath_.end() || gone.nhid || !gone.nexthops.empty()) return false;
  Route& route = it->second;
  auto same = [&](const RouteNexthop& nh) {
    return nh.gateway == gone.gateway && nh.dev == gone.dev;
  };
  auto at = std::find_if(route.nexthops.begin(), route.nexthops.end(), same);
  if (at == route.nexthops.end() || std::count_if(at, route.nexthops.end(), same) != 1) {
    return false;
  }
  route.nexthops.erase(at);
  change->key = key;
  if (route.nexthops.size() > 1) {
    change->value = route.ToRecord().value;
    return true;
  }
  // One next hop left (a kept route has two or more): the kernel shows a single-path route,
  // with the next hop's flags on the route.
  Route single = std::move(route);
  ipv6_multipath_.erase(it);
  RouteNexthop last = std::move(single.nexthops.front());
  single.nexthops.clear();
  single.gateway = last.gateway;
  single.dev = std::move(last.dev);
  single.flags |= last.flags;
  change->value = single.ToRecord().value;
  return true;
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
        if (!is_new && known_multi && !multi) {
          *effect = RemoveNexthop(rec.key, r, change) ? Effect::kChange : Effect::kRedump;
          return Status::OK();
        }
        if (is_new && (nlh->nlmsg_flags & NLM_F_APPEND) && !multi) {
          *effect = Effect::kRedump;  // a next hop added to a route the decoder may not keep
          return Status::OK();
        }
        if (is_new && multi) {
          ipv6_multipath_.insert_or_assign(rec.key, r);
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
