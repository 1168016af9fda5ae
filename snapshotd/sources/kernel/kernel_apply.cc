#include "sources/kernel/kernel_apply.h"

#include <errno.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

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

// One request to send: a change, or the removal that precedes putting a rule (its failure is
// ignored).
struct Item {
  size_t change;  // index into the delta
  bool prelude;
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

// Requests are encoded into chunks of about this size; a delta of more than kPipelineMin
// requests is encoded by a second thread while this one sends, as the kernel's work (inside
// sendmsg) and the encoding then overlap.
constexpr size_t kChunkBytes = 256 * 1024;
constexpr size_t kPipelineMin = 4096;
constexpr size_t kChunksInFlight = 4;

// Encodes items [0, n) in order and hands each chunk to `put`; a record that cannot be encoded
// gets its message in (*encode_errors)[k] and is not sent.
void EncodeItems(const Delta& changes, const std::vector<Item>& items, uint32_t first_seq,
                 const LinkNames& links, std::vector<std::string>* encode_errors,
                 const std::function<void(std::string)>& put) {
  std::string chunk;
  for (size_t k = 0; k < items.size(); ++k) {
    size_t mark = chunk.size();
    Status s = Encode(changes[items[k].change], first_seq + static_cast<uint32_t>(k), links, &chunk,
                      items[k].prelude);
    if (!s.ok()) {
      chunk.resize(mark);
      (*encode_errors)[k] = s.message();
    }
    if (chunk.size() >= kChunkBytes) {
      put(std::move(chunk));
      chunk.clear();
    }
  }
  if (!chunk.empty()) put(std::move(chunk));
}

// Sends what EncodeItems produces, from a second thread, with a bounded queue between them.
Status SendPipelined(NetlinkSocket* sock, const Delta& changes, const std::vector<Item>& items,
                     uint32_t first_seq, const LinkNames& links,
                     std::vector<std::string>* encode_errors,
                     const NetlinkSocket::ErrorFn& on_error) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> queue;
  bool encoded = false;
  bool abandon = false;
  std::thread encoder([&] {
    EncodeItems(changes, items, first_seq, links, encode_errors, [&](std::string chunk) {
      std::unique_lock l(mu);
      cv.wait(l, [&] { return queue.size() < kChunksInFlight || abandon; });
      if (abandon) return;
      queue.push_back(std::move(chunk));
      cv.notify_all();
    });
    std::lock_guard l(mu);
    encoded = true;
    cv.notify_all();
  });
  Status s;
  for (;;) {
    std::string chunk;
    {
      std::unique_lock l(mu);
      cv.wait(l, [&] { return !queue.empty() || encoded; });
      if (queue.empty()) break;
      chunk = std::move(queue.front());
      queue.pop_front();
      cv.notify_all();
    }
    s = sock->Transact(chunk, on_error);
    if (!s.ok()) break;
  }
  {
    std::lock_guard l(mu);
    abandon = true;
    cv.notify_all();
  }
  encoder.join();
  return s;
}

}  // namespace

Status ApplyChanges(NetlinkSocket* sock, const LinkNames& links, const Delta& changes,
                    ApplyResult* result) {
  std::vector<std::vector<size_t>> phases(kPhases);
  for (size_t i = 0; i < changes.size(); ++i) phases[PhaseOf(changes[i])].push_back(i);
  // The kernel's FIB trie rebalances far more when routes come in address order, as a delta's
  // do (500,000 IPv4 routes: adds 3.4 s sorted vs 2.6 s shuffled, removals 4.4 s vs 1.8 s), so
  // routes go out in a fixed pseudo-random order. Routes of one phase do not depend on each
  // other.
  for (Phase p : {kRemoveRoute, kPutRoute}) {
    std::mt19937_64 rng(0x6e6574736e6170);
    std::shuffle(phases[p].begin(), phases[p].end(), rng);
  }

  std::vector<Item> items;
  items.reserve(changes.size());
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
        items.push_back({i, /*prelude=*/true});
      }
      items.push_back({i, /*prelude=*/false});
    }
  }
  if (items.empty()) return Status::OK();

  const uint32_t first_seq = sock->ReserveSeqs(static_cast<uint32_t>(items.size()));
  std::vector<int> errors(items.size(), 0);
  std::vector<std::string> texts(items.size());
  std::vector<std::string> encode_errors(items.size());
  auto on_error = [&](uint32_t seq, int err, const std::string& msg) {
    uint32_t k = seq - first_seq;
    if (k < errors.size()) {
      errors[k] = err;
      texts[k] = msg;
    }
  };
  if (items.size() >= kPipelineMin) {
    NETSNAP_RETURN_IF_ERROR(
        SendPipelined(sock, changes, items, first_seq, links, &encode_errors, on_error));
  } else {
    std::string batch;
    EncodeItems(changes, items, first_seq, links, &encode_errors,
                [&](std::string chunk) { batch += chunk; });
    NETSNAP_RETURN_IF_ERROR(sock->Transact(batch, on_error));
  }
  for (size_t k = 0; k < items.size(); ++k) {
    if (items[k].prelude) continue;
    const Change& c = changes[items[k].change];
    if (!encode_errors[k].empty()) {
      result->failures.push_back({c.key, encode_errors[k]});
      continue;
    }
    int err = errors[k];
    if (err == 0 || (!c.value && (err == ENOENT || err == ESRCH))) {
      ++result->applied;
      continue;
    }
    std::string msg = std::strerror(err);
    if (!texts[k].empty()) msg += " (" + texts[k] + ")";
    result->failures.push_back({c.key, msg});
  }
  return Status::OK();
}

}  // namespace netsnap::kernel
