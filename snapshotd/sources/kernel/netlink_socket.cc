#include "sources/kernel/netlink_socket.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <cstring>
#include <unordered_map>

#include "sources/kernel/netlink_attrs.h"

namespace netsnap::kernel {

namespace {

constexpr size_t kRecvBufferSize = 1 << 20;  // the kernel fills at most this much per recv
// Bytes of requests per sendmsg. Every acknowledgement of a chunk queues before the first is
// read, so a chunk must stay well inside the receive buffer.
constexpr size_t kSendChunk = 64 * 1024;

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
  for (unsigned g : groups) {
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) != 0) {
      return Errno("netlink join group " + std::to_string(g));
    }
  }
  s->port_id_ = mnl_socket_get_portid(s->nl_);
  s->buf_.resize(kRecvBufferSize);
  *out = std::move(s);
  return Status::OK();
}

Status NetlinkSocket::Dump(const nlmsghdr* request, const MessageFn& fn) {
  if (mnl_socket_sendto(nl_, request, request->nlmsg_len) < 0) return Errno("netlink dump send");
  const uint32_t seq = request->nlmsg_seq;
  Status result;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("netlink dump recv");
    }
    auto len = static_cast<int>(n);
    for (const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
         mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != port_id_) continue;  // stale reply
      if (nlh->nlmsg_type == NLMSG_DONE) return result;
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (err->error == 0) continue;
        errno = -err->error;
        std::string ext = ExtAckMessage(nlh);
        return Errno("netlink dump" + (ext.empty() ? "" : " (" + ext + ")"));
      }
      if (result.ok()) result = fn(nlh);  // keep reading to the end of the reply
    }
  }
}

Status NetlinkSocket::Transact(
    const std::string& messages, size_t count,
    const std::function<void(uint32_t seq, int err, const std::string& msg)>& on_ack) {
  size_t pos = 0;
  size_t acked = 0;
  while (pos < messages.size()) {
    // Cut a chunk at a message boundary.
    size_t end = pos;
    size_t in_chunk = 0;
    while (end < messages.size()) {
      const auto* nlh = reinterpret_cast<const nlmsghdr*>(messages.data() + end);
      size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
      if (end > pos && end + len - pos > kSendChunk) break;
      end += len;
      ++in_chunk;
    }
    if (mnl_socket_sendto(nl_, messages.data() + pos, end - pos) < 0) {
      return Errno("netlink send");
    }
    pos = end;
    size_t got = 0;
    while (got < in_chunk) {
      ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("netlink ack recv");
      }
      auto len = static_cast<int>(n);
      for (const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
           mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != port_id_) continue;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        on_ack(nlh->nlmsg_seq, -err->error, err->error ? ExtAckMessage(nlh) : std::string());
        ++got;
      }
    }
    acked += got;
  }
  if (acked != count) return Status::Internal("netlink: acknowledgements do not match requests");
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
