#include "api/connections.h"

#include <vector>

#include "api/session.h"

namespace netsnap::api {

Connections::Admission Connections::Admit(const std::shared_ptr<SessionBase>& s,
                                          const std::string& client) {
  MutexLock lock(&mu_);
  if (sessions_.size() >= max_) return Admission::kServerFull;
  size_t& mine = per_client_[client];
  if (mine >= max_per_client_) return Admission::kClientFull;
  ++mine;
  sessions_[s.get()] = Entry{s, client};
  return Admission::kAdmitted;
}

void Connections::Remove(const SessionBase* s) {
  MutexLock lock(&mu_);
  auto it = sessions_.find(s);
  if (it == sessions_.end()) return;
  auto count = per_client_.find(it->second.client);
  if (count != per_client_.end() && --count->second == 0) per_client_.erase(count);
  sessions_.erase(it);
}

size_t Connections::size() const {
  MutexLock lock(&mu_);
  return sessions_.size();
}

void Connections::DetachFeeds() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    MutexLock lock(&mu_);
    for (const auto& [_, entry] : sessions_) {
      if (auto s = entry.session.lock()) live.push_back(std::move(s));
    }
  }
  // Outside the lock: a session released here may run its destructor, which calls Remove.
  for (auto& s : live) s->DetachFeed();
}

}  // namespace netsnap::api
