#include "sources/kernel/state_reader.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

#include "sources/kernel/nexthop_codec.h"
#include "sources/kernel/route_codec.h"
#include "sources/kernel/rule_codec.h"

namespace netsnap::kernel {

namespace {

// Records of a dump, packed into one buffer so that a million of them cost two allocations
// rather than two million (and the heap does not stay fragmented after the dump).
class RecordArena {
 public:
  void Add(const Record& r) {
    entries_.push_back({bytes_.size(), static_cast<uint32_t>(r.key.size()),
                        static_cast<uint32_t>(r.value.size())});
    bytes_.append(r.key);
    bytes_.append(r.value);
  }
  size_t size() const { return entries_.size(); }
  std::string_view key(size_t i) const {
    return {bytes_.data() + entries_[i].at, entries_[i].klen};
  }
  std::string_view value(size_t i) const {
    return {bytes_.data() + entries_[i].at + entries_[i].klen, entries_[i].vlen};
  }
  size_t bytes() const { return bytes_.size(); }
  // Sorts by key; equal keys keep their dump order.
  void Sort() {
    auto by_key = [this](const Entry& a, const Entry& b) {
      return std::string_view(bytes_.data() + a.at, a.klen) <
             std::string_view(bytes_.data() + b.at, b.klen);
    };
    if (!std::is_sorted(entries_.begin(), entries_.end(), by_key)) {
      std::stable_sort(entries_.begin(), entries_.end(), by_key);
    }
  }

 private:
  struct Entry {
    size_t at;
    uint32_t klen;
    uint32_t vlen;
  };
  std::string bytes_;
  std::vector<Entry> entries_;
};

Status DumpWith(NetlinkSocket* sock, const std::string& request,
                const NetlinkSocket::MessageFn& fn) {
  return sock->Dump(reinterpret_cast<const nlmsghdr*>(request.data()), fn);
}

}  // namespace

Status ReadLinks(NetlinkSocket* sock, LinkNames* links) {
  std::string req;
  EncodeLinkDump(sock->NextSeq(), &req);
  LinkNames fresh;
  NETSNAP_RETURN_IF_ERROR(DumpWith(sock, req, [&](const nlmsghdr* nlh) {
    fresh.Update(nlh);
    return Status::OK();
  }));
  *links = std::move(fresh);
  return Status::OK();
}

Status ReadState(NetlinkSocket* sock, const KernelFilter& filter, const LinkNames& links,
                 StateDump* out) {
  RecordArena records;
  StateDump dump;

  std::string req;
  EncodeNexthopDump(sock->NextSeq(), &req);
  Status s = DumpWith(sock, req, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != RTM_NEWNEXTHOP) return Status::OK();
    Nexthop nh;
    NETSNAP_RETURN_IF_ERROR(DecodeNexthop(nlh, links, &nh));
    records.Add(nh.ToRecord());
    return Status::OK();
  });
  // Kernels without next-hop objects (< 5.3) refuse the dump; they have none to record.
  if (!s.ok() && s.message().find("Operation not supported") == std::string::npos &&
      s.message().find("Invalid argument") == std::string::npos) {
    return s;
  }

  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    req.clear();
    EncodeRuleDump(family, sock->NextSeq(), &req);
    NETSNAP_RETURN_IF_ERROR(DumpWith(sock, req, [&](const nlmsghdr* nlh) {
      if (nlh->nlmsg_type != RTM_NEWRULE) return Status::OK();
      Rule r;
      bool modelled;
      NETSNAP_RETURN_IF_ERROR(DecodeRule(nlh, &r, &modelled));
      if (modelled) records.Add(r.ToRecord());
      return Status::OK();
    }));
  }

  Route route;
  auto on_route = [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != RTM_NEWROUTE) return Status::OK();
    bool modelled;
    NETSNAP_RETURN_IF_ERROR(DecodeRoute(nlh, links, &route, &modelled));
    if (!modelled || !filter.KeepRoute(route)) return Status::OK();
    Record rec = route.ToRecord();
    if (route.family == AF_INET6 && route.nexthops.size() > 1) {
      dump.ipv6_multipath.push_back(route);
    }
    records.Add(rec);
    return Status::OK();
  };
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    if (filter.limits_tables()) {
      for (uint32_t table : filter.tables) {
        req.clear();
        EncodeRouteDump(family, table, sock->NextSeq(), &req);
        NETSNAP_RETURN_IF_ERROR(DumpWith(sock, req, on_route));
      }
    } else {
      req.clear();
      EncodeRouteDump(family, 0, sock->NextSeq(), &req);
      NETSNAP_RETURN_IF_ERROR(DumpWith(sock, req, on_route));
    }
  }

  // Dumps come mostly in key order already; a stable sort keeps the first of equal keys first.
  records.Sort();
  SnapshotBuilder builder;
  builder.Reserve(records.size(), records.bytes());
  std::string_view last;
  for (size_t i = 0; i < records.size(); ++i) {
    std::string_view key = records.key(i);
    if (i > 0 && key == last) {
      ++dump.duplicates;
      continue;
    }
    builder.Add(key, records.value(i));
    last = key;
  }
  NETSNAP_RETURN_IF_ERROR(builder.Finish(&dump.snapshot));
  *out = std::move(dump);
  return Status::OK();
}

}  // namespace netsnap::kernel
