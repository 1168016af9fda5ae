// The live connections of a server, on TCP and the Unix socket: enforces the connection caps (in
// all, and per client: a remote address on TCP, a uid on the socket) and lets Stop reach every
// session. Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/mutex.h"

namespace netsnap::api {

class SessionBase;

class Connections {
 public:
  Connections(size_t max, size_t max_per_client) : max_(max), max_per_client_(max_per_client) {}

  enum class Admission { kAdmitted, kServerFull, kClientFull };
  // Admits a session of `client` unless a cap is reached.
  Admission Admit(const std::shared_ptr<SessionBase>& s, const std::string& client);
  // Called by a session's destructor.
  void Remove(const SessionBase* s);
  size_t size() const;
  // Stops every session's event feed; only when no I/O thread runs.
  void DetachFeeds() EXCLUDES(mu_);

 private:
  struct Entry {
    std::weak_ptr<SessionBase> session;
    std::string client;
  };
  const size_t max_;
  const size_t max_per_client_;
  mutable Mutex mu_;
  std::unordered_map<const SessionBase*, Entry> sessions_ GUARDED_BY(mu_);
  std::unordered_map<std::string, size_t> per_client_ GUARDED_BY(mu_);
};

}  // namespace netsnap::api
