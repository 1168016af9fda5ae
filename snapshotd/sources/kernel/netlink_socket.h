// A NETLINK_ROUTE socket over libmnl: dumps, batched requests that report failures only,
// and non-blocking reads of multicast notifications.
//
// A socket lives in the network namespace of the thread that opened it, whatever thread uses it
// later. A NetlinkSocket is not thread-safe; callers serialise access.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "netsnap/status.h"

struct mnl_socket;

namespace netsnap::kernel {

class NetlinkSocket {
 public:
  // Called for each message of a dump or a notification read. A non-OK status stops the read
  // and is returned.
  using MessageFn = std::function<Status(const nlmsghdr* nlh)>;

  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // Opens a socket in the calling thread's namespace with strict dump checking and extended
  // acknowledgements, joined to the multicast `groups` (RTNLGRP_* numbers). rcvbuf > 0 sets the
  // receive buffer size in bytes (forced, so it may exceed the system's limit when root).
  static Status Open(const std::vector<unsigned>& groups, int rcvbuf,
                     std::unique_ptr<NetlinkSocket>* out);

  int fd() const;
  uint32_t port_id() const { return port_id_; }
  uint32_t NextSeq() { return ++seq_; }
  // Reserves n consecutive sequence numbers and returns the first.
  uint32_t ReserveSeqs(uint32_t n) {
    uint32_t first = seq_ + 1;
    seq_ += n;
    return first;
  }

  // Sends `request` (one message; the caller sets NLM_F_DUMP) and calls fn for each message of
  // the reply until NLMSG_DONE. A netlink error in the reply becomes an IOError.
  Status Dump(const nlmsghdr* request, const MessageFn& fn);

  // Called for each request the kernel refused: its sequence number, the errno value and the
  // extended-ack text.
  using ErrorFn = std::function<void(uint32_t seq, int err, const std::string& msg)>;

  // Sends `messages` (concatenated requests without NLM_F_ACK, each with a distinct sequence
  // number) many per sendmsg, each send closed by an acknowledged NLMSG_NOOP, and returns once
  // the kernel has handled all of them. The kernel answers only failures, each reported once to
  // on_error; a request without a report succeeded.
  Status Transact(const std::string& messages, const ErrorFn& on_error);

  // Joins (or leaves) the multicast `groups`. Thread-safe with the socket's other uses.
  Status SetMembership(const std::vector<unsigned>& groups, bool join);

  // Makes the kernel drop, before queueing them, the notifications whose nlmsg_pid is `port`
  // (a classic BPF socket filter on the first message of each datagram: rtnetlink sends one
  // notification a datagram). Dropped notifications take no receive buffer, so they cannot
  // overflow it. AcceptAllNotifications removes the filter. Thread-safe with the socket's other
  // uses.
  Status DropNotificationsFrom(uint32_t port);
  Status AcceptAllNotifications();

  // Reads what is queued without blocking (at most `max_reads` receive calls) and calls fn for
  // each message. *overflow is set when the kernel dropped notifications (ENOBUFS); the caller
  // must re-dump. Returns OK with *drained = true once the queue is empty.
  Status ReadNotifications(const MessageFn& fn, int max_reads, bool* overflow, bool* drained);

 private:
  NetlinkSocket() = default;
  mnl_socket* nl_ = nullptr;
  uint32_t port_id_ = 0;
  uint32_t seq_ = 0;
  std::vector<char> buf_;
};

}  // namespace netsnap::kernel
