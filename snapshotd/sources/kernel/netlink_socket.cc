#include "sources/kernel/netlink_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <deque>
#include <iterator>
#include <thread>
#include <unordered_map>

#include "common/mutex.h"
#include "sources/kernel/netlink_attrs.h"

namespace netsnap::kernel {

namespace {

constexpr size_t kRecvBufferSize = 1 << 20;  // the kernel fills at most this much per recv
// Bytes of requests per sendmsg (inside the send buffer). The answers to a chunk, failures only
// and capped to their header, queue before the first is read: they stay well inside the
// receive buffer of a request socket.
constexpr size_t kSendChunk = 256 * 1024;

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// The extended-ack text of an error message, if any.
std::string ExtAckMessage(const nlmsghdr* nlh) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t off = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) off += err->msg.nlmsg_len - sizeof(nlmsghdr);
  if (mnl_nlmsg_get_payload_len(nlh) < off) return "";
  std::string text;
  for (const nlattr* attr : Attrs(nlh, off)) {
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG) {
      text.assign(mnl_attr_get_str(attr),
                  strnlen(mnl_attr_get_str(attr), mnl_attr_get_payload_len(attr)));
    }
  }
  return text;
}

}  // namespace

NetlinkSocket::~NetlinkSocket() {
  if (nl_) mnl_socket_close(nl_);
}

int NetlinkSocket::fd() const { return mnl_socket_get_fd(nl_); }

Status NetlinkSocket::Open(const std::vector<unsigned>& groups, int rcvbuf,
                           std::unique_ptr<NetlinkSocket>* out) {
  std::unique_ptr<NetlinkSocket> s(new NetlinkSocket);
  s->nl_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!s->nl_) return Errno("netlink socket");
  int one = 1;
  int fd = s->fd();
  // Strict checking lets dumps be filtered in the kernel (by table); older kernels lack it.
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  if (rcvbuf > 0) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
      return Errno("netlink SO_RCVBUF");
    }
  }
  int sndbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  if (mnl_socket_bind(s->nl_, 0, MNL_SOCKET_AUTOPID) < 0) return Errno("netlink bind");
  NETSNAP_RETURN_IF_ERROR(s->SetMembership(groups, true));
  s->port_id_ = mnl_socket_get_portid(s->nl_);
  s->buf_.resize(kRecvBufferSize);
  *out = std::move(s);
  return Status::OK();
}

Status NetlinkSocket::SetMembership(const std::vector<unsigned>& groups, bool join) {
  for (unsigned g : groups) {
    int op = join ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
    if (setsockopt(fd(), SOL_NETLINK, op, &g, sizeof g) != 0) {
      return Errno(std::string("netlink ") + (join ? "join" : "leave") + " group " +
                   std::to_string(g));
    }
  }
  return Status::OK();
}

Status NetlinkSocket::DropNotificationsFrom(uint32_t port) {
  // Classic BPF loads words in network byte order; nlmsg_pid is in host order.
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(nlmsghdr, nlmsg_pid)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(port), 0, 1), BPF_STMT(BPF_RET | BPF_K, 0),  // drop
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),  // keep it whole
  };
  sock_fprog prog{static_cast<unsigned short>(std::size(code)), code};
  if (setsockopt(fd(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    return Errno("netlink attach filter");
  }
  return Status::OK();
}

Status NetlinkSocket::AcceptAllNotifications() {
  int unused = 0;  // the kernel wants an int's room even here
  if (setsockopt(fd(), SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused) != 0) {
    return Errno("netlink detach filter");
  }
  return Status::OK();
}

namespace {

// Reads the reply of one dump: calls fn for each message until NLMSG_DONE, keeps reading to the
// end of the reply after fn fails, and returns fn's first failure.
class DumpReply {
 public:
  DumpReply(uint32_t seq, uint32_t port_id, const NetlinkSocket::MessageFn& fn)
      : seq_(seq), port_id_(port_id), fn_(fn) {}

  // Takes `len` bytes of whole messages; true once the reply is complete (see status()).
  bool Take(const char* data, int len) {
    for (const auto* nlh = reinterpret_cast<const nlmsghdr*>(data); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_seq != seq_ || nlh->nlmsg_pid != port_id_) continue;  // stale reply
      if (nlh->nlmsg_type == NLMSG_DONE) return true;
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (err->error == 0) continue;
        std::string ext = ExtAckMessage(nlh);
        status_ = Status::IOError("netlink dump" + (ext.empty() ? "" : " (" + ext + ")") + ": " +
                                  std::strerror(-err->error));
        return true;
      }
      if (status_.ok()) status_ = fn_(nlh);
    }
    return false;
  }
  // Whether `data` holds the end of this reply (checks headers only).
  bool Ends(const char* data, int len) const {
    for (const auto* nlh = reinterpret_cast<const nlmsghdr*>(data); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_seq != seq_ || nlh->nlmsg_pid != port_id_) continue;
      if (nlh->nlmsg_type == NLMSG_DONE) return true;
      if (nlh->nlmsg_type == NLMSG_ERROR &&
          static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh))->error != 0) {
        return true;
      }
    }
    return false;
  }
  const Status& status() const { return status_; }

 private:
  const uint32_t seq_;
  const uint32_t port_id_;
  const NetlinkSocket::MessageFn& fn_;
  Status status_;
};

// Receives are handed from the receiving thread to the parsing one in slabs of this size.
constexpr size_t kSlab = 1 << 20;
constexpr size_t kSlabsInFlight = 4;
constexpr size_t kMaxRecv = 64 * 1024;  // a dump's skb is at most 32 KB
constexpr int kInlineReceives = 8;      // a reply longer than this is read by a second thread

}  // namespace

Status NetlinkSocket::Dump(const nlmsghdr* request, const MessageFn& fn) {
  if (mnl_socket_sendto(nl_, request, request->nlmsg_len) < 0) return Errno("netlink dump send");
  DumpReply reply(request->nlmsg_seq, port_id_, fn);
  for (int i = 0; i < kInlineReceives; ++i) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("netlink dump recv");
    }
    if (reply.Take(buf_.data(), static_cast<int>(n))) return reply.status();
  }
  // A long reply: the kernel builds it inside recv, so a second thread receives while this one
  // parses, and the two halves of the work overlap.
  struct Slab {
    std::vector<char> data;
    size_t used = 0;
  };
  Mutex mu;
  CondVar cv;
  std::deque<std::unique_ptr<Slab>> full, free;
  for (size_t i = 0; i < kSlabsInFlight; ++i) {
    free.push_back(std::make_unique<Slab>());
    free.back()->data.resize(kSlab);
  }
  Status recv_error;
  bool received_all = false;
  bool abandon = false;
  std::thread receiver([&] {
    for (bool end = false; !end;) {
      std::unique_ptr<Slab> slab;
      {
        MutexLock l(&mu);
        cv.Wait(&mu, [&] { return !free.empty() || abandon; });
        if (abandon) return;
        slab = std::move(free.front());
        free.pop_front();
      }
      slab->used = 0;
      while (!end && slab->data.size() - slab->used >= kMaxRecv) {
        ssize_t n = recv(fd(), slab->data.data() + slab->used, kMaxRecv, 0);
        if (n <= 0) {
          if (n < 0 && errno == EINTR) continue;
          MutexLock l(&mu);
          recv_error =
              n < 0 ? Errno("netlink dump recv") : Status::IOError("netlink dump: empty read");
          end = true;
          break;
        }
        end = reply.Ends(slab->data.data() + slab->used, static_cast<int>(n));
        slab->used += NLMSG_ALIGN(static_cast<size_t>(n));
        if (slab->used >= kSlab / 4) break;  // hand it over while the parser may be idle
      }
      MutexLock l(&mu);
      full.push_back(std::move(slab));
      received_all = end;
      cv.SignalAll();
    }
  });
  Status s;
  for (;;) {
    std::unique_ptr<Slab> slab;
    bool last = false;
    {
      MutexLock l(&mu);
      cv.Wait(&mu, [&] { return !full.empty() || (received_all && full.empty()); });
      if (full.empty()) break;
      slab = std::move(full.front());
      full.pop_front();
      last = received_all && full.empty();
    }
    bool done = reply.Take(slab->data.data(), static_cast<int>(slab->used));
    {
      MutexLock l(&mu);
      free.push_back(std::move(slab));
      cv.SignalAll();
    }
    if (done || last) break;
  }
  {
    MutexLock l(&mu);
    abandon = true;
    cv.SignalAll();
  }
  receiver.join();
  if (!recv_error.ok()) return recv_error;
  return reply.status();
}

Status NetlinkSocket::Transact(const std::string& messages, const ErrorFn& on_error) {
  size_t pos = 0;
  while (pos < messages.size()) {
    // Cut a chunk at a message boundary.
    size_t end = pos;
    while (end < messages.size()) {
      const auto* nlh = reinterpret_cast<const nlmsghdr*>(messages.data() + end);
      if (nlh->nlmsg_len < sizeof(nlmsghdr)) return Status::InvalidArgument("netlink: bad message");
      size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
      if (end > pos && end + len - pos > kSendChunk) break;
      end += len;
    }
    // The end marker: the kernel handles the messages of one send in order, so its
    // acknowledgement follows the answer to every message before it.
    nlmsghdr marker{};
    marker.nlmsg_len = sizeof marker;
    marker.nlmsg_type = NLMSG_NOOP;
    marker.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    marker.nlmsg_seq = NextSeq();
    iovec iov[2] = {{const_cast<char*>(messages.data() + pos), end - pos},
                    {&marker, sizeof marker}};
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    msghdr msg{};
    msg.msg_name = &kernel;
    msg.msg_namelen = sizeof kernel;
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    while (sendmsg(fd(), &msg, 0) < 0) {
      if (errno != EINTR) return Errno("netlink send");
    }
    pos = end;
    for (bool done = false; !done;) {
      ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS) return Status::IOError("netlink: answers were lost (ENOBUFS)");
        return Errno("netlink answer recv");
      }
      auto len = static_cast<int>(n);
      for (const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
           mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != port_id_) continue;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (nlh->nlmsg_seq == marker.nlmsg_seq) {
          done = true;
        } else if (err->error != 0) {
          on_error(nlh->nlmsg_seq, -err->error, ExtAckMessage(nlh));
        }
      }
    }
  }
  return Status::OK();
}

Status NetlinkSocket::ReadNotifications(const MessageFn& fn, int max_reads, bool* overflow,
                                        bool* drained) {
  *drained = false;
  for (int i = 0; i < max_reads; ++i) {
    ssize_t n = recv(fd(), buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        *drained = true;
        return Status::OK();
      }
      if (errno == ENOBUFS) {
        *overflow = true;
        continue;
      }
      return Errno("netlink notification recv");
    }
    auto len = static_cast<int>(n);
    for (const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
         mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
      NETSNAP_RETURN_IF_ERROR(fn(nlh));
    }
  }
  return Status::OK();
}

}  // namespace netsnap::kernel
