#include "sources/kernel/kernel_apply.h"

#include <errno.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "netsnap/nexthop.h"
#include "netsnap/route.h"
#include "netsnap/rule.h"
#include "sources/kernel/nexthop_codec.h"
#include "sources/kernel/route_codec.h"
#include "sources/kernel/rule_codec.h"

namespace netsnap::kernel {

namespace {

// The order in which changes go out.
enum Phase {
  kRemoveRoute,
  kRemoveRule,
  kRemoveNexthop,
  kPutNexthop,
  kPutNexthopGroup,
  kPutRule,
  kPutRoute,
  kUnsupported,
  kPhases,
};

Phase PhaseOf(const Change& c) {
  switch (KindOfKey(c.key)) {
    case RecordKind::kRoute:
      return c.value ? kPutRoute : kRemoveRoute;
    case RecordKind::kRule:
      return c.value ? kPutRule : kRemoveRule;
    case RecordKind::kNexthop: {
      if (!c.value) return kRemoveNexthop;
      Nexthop nh;
      bool group = Nexthop::FromRecord({c.key, *c.value}, &nh).ok() && !nh.group.empty();
      return group ? kPutNexthopGroup : kPutNexthop;
    }
    default:
      return kUnsupported;
  }
}

struct Sent {
  size_t change;  // index into the delta
  bool prelude;   // the removal that precedes putting a rule: its failure is ignored
  bool removal;   // "already gone" is success
};

Status Encode(const Change& c, uint32_t seq, const LinkNames& links, std::string* buf,
              bool prelude) {
  const bool put = c.value.has_value() && !prelude;
  switch (KindOfKey(c.key)) {
    case RecordKind::kRoute: {
      Route r;
      std::string value = put ? *c.value : Route{}.ToRecord().value;
      NETSNAP_RETURN_IF_ERROR(Route::FromRecord({c.key, value}, &r));
      return put ? EncodeRoute(r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, seq, links, buf)
                 : EncodeRoute(r, RTM_DELROUTE, 0, seq, links, buf);
    }
    case RecordKind::kRule: {
      Rule r;
      std::string value = put ? *c.value : Rule{}.ToRecord().value;
      NETSNAP_RETURN_IF_ERROR(Rule::FromRecord({c.key, value}, &r));
      return put ? EncodeRule(r, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, seq, buf)
                 : EncodeRule(r, RTM_DELRULE, 0, seq, buf);
    }
    case RecordKind::kNexthop: {
      Nexthop nh;
      std::string value = put ? *c.value : Nexthop{}.ToRecord().value;
      NETSNAP_RETURN_IF_ERROR(Nexthop::FromRecord({c.key, value}, &nh));
      return put ? EncodeNexthop(nh, RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_REPLACE, seq, links, buf)
                 : EncodeNexthop(nh, RTM_DELNEXTHOP, 0, seq, links, buf);
    }
    default:
      return Status::InvalidArgument("not a kernel record");
  }
}

}  // namespace

Status ApplyChanges(NetlinkSocket* sock, const LinkNames& links, const Delta& changes,
                    ApplyResult* result) {
  std::vector<std::vector<size_t>> phases(kPhases);
  for (size_t i = 0; i < changes.size(); ++i) phases[PhaseOf(changes[i])].push_back(i);

  std::string batch;
  std::vector<Sent> sent;
  const uint32_t first_seq = sock->ReserveSeqs(static_cast<uint32_t>(2 * changes.size() + 1));
  uint32_t seq = first_seq;
  auto add = [&](size_t i, bool prelude) {
    size_t mark = batch.size();
    Status s = Encode(changes[i], seq, links, &batch, prelude);
    if (!s.ok()) {
      batch.resize(mark);
      if (!prelude) result->failures.push_back({changes[i].key, s.message()});
      return false;
    }
    sent.push_back({i, prelude, prelude || !changes[i].value});
    ++seq;
    return true;
  };
  for (int p = 0; p < kPhases; ++p) {
    for (size_t i : phases[p]) {
      if (p == kUnsupported) {
        result->failures.push_back({changes[i].key, "not a kernel record"});
        continue;
      }
      if (p == kPutRule) {
        // Validate the rule first, so that a bad record removes nothing.
        Rule r;
        Status s = Rule::FromRecord({changes[i].key, *changes[i].value}, &r);
        if (!s.ok()) {
          result->failures.push_back({changes[i].key, s.message()});
          continue;
        }
        add(i, /*prelude=*/true);
      }
      add(i, /*prelude=*/false);
    }
  }
  if (sent.empty()) return Status::OK();

  std::vector<int> errors(sent.size(), -1);
  std::vector<std::string> texts(sent.size());
  NETSNAP_RETURN_IF_ERROR(
      sock->Transact(batch, sent.size(), [&](uint32_t ack_seq, int err, const std::string& msg) {
        uint32_t k = ack_seq - first_seq;
        if (k < errors.size()) {
          errors[k] = err;
          texts[k] = msg;
        }
      }));
  for (size_t k = 0; k < sent.size(); ++k) {
    if (sent[k].prelude) continue;
    int err = errors[k];
    if (err == 0 || (sent[k].removal && (err == ENOENT || err == ESRCH))) {
      ++result->applied;
      continue;
    }
    std::string msg = err < 0 ? "no acknowledgement" : std::strerror(err);
    if (!texts[k].empty()) msg += " (" + texts[k] + ")";
    result->failures.push_back({changes[sent[k].change].key, msg});
  }
  return Status::OK();
}

}  // namespace netsnap::kernel
