#include "api/connections.h"

#include <vector>

#include "api/session.h"

namespace netsnap::api {

bool Connections::Admit(const std::shared_ptr<Session>& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= max_) return false;
  sessions_[s.get()] = s;
  return true;
}

void Connections::Remove(const Session* s) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(s);
}

size_t Connections::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

namespace {
template <typename Fn>
void ForEach(std::mutex& mu, const std::unordered_map<const Session*, std::weak_ptr<Session>>& m,
             Fn fn) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [_, weak] : m) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  // Outside the lock: a session released here may run its destructor, which calls Remove.
  for (auto& s : live) fn(*s);
}
}  // namespace

void Connections::DetachFeeds() {
  ForEach(mu_, sessions_, [](Session& s) { s.DetachFeed(); });
}

}  // namespace netsnap::api
