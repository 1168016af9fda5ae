// The live connections of a server: enforces the connection cap and lets Stop reach every
// session. Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace netsnap::api {

class Session;

class Connections {
 public:
  explicit Connections(size_t max) : max_(max) {}

  // Admits a session unless the cap is reached.
  bool Admit(const std::shared_ptr<Session>& s);
  // Called by a session's destructor.
  void Remove(const Session* s);
  size_t size() const;
  // Stops every session's event feed; only when no I/O thread runs.
  void DetachFeeds();

 private:
  const size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
};

}  // namespace netsnap::api
