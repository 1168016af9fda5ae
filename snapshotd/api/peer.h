// Who is at the other end of a connection, found once when it is accepted.
//
// On TCP that is only an address: the request's bearer token (or, without tokens, the access
// rules for loopback) says who it is. On the Unix socket the kernel vouches for the peer's uid
// (SO_PEERCRED): uid 0 and members of the socket's group are operators, any other uid the
// socket's mode lets in is a viewer.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "api/request.h"
#include "netsnap/status.h"

namespace netsnap::api {

struct Peer {
  enum class Channel { kTcp, kSocket };
  Channel channel = Channel::kTcp;
  bool loopback = false;  // TCP: the remote address is a loopback address
  // The key of the per-client connection cap and the name in logs: the remote address on TCP,
  // "uid N" on the socket.
  std::string client;
  Principal principal;  // socket: from the peer's credentials
};

// The socket peer with credentials uid/gid: its principal ("NAME (uid N)") and role.
// `operator_group` is the socket group's gid, when one is configured.
Principal SocketPrincipal(uid_t uid, gid_t gid, std::optional<gid_t> operator_group);

// The gid of group `name`; NotFound when the group database has no such group.
Status LookUpGroup(const std::string& name, gid_t* out);

}  // namespace netsnap::api
