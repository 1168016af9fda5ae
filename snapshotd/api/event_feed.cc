#include "api/event_feed.h"

namespace netsnap::api {

EventFeed::EventFeed(std::function<bool(const StoredEvent&)> filter, std::function<void()> wake)
    : filter_(std::move(filter)), wake_(std::move(wake)) {}

void EventFeed::Push(const StoredEvent& e) {
  if (filter_ && !filter_(e)) return;
  MutexLock lock(&mu_);
  if (closed_) return;
  if (queue_.size() >= kMaxQueued) {
    overflowed_ = true;
  } else {
    queue_.push_back(e);
  }
  if (!woken_) {
    woken_ = true;
    wake_();
  }
}

std::vector<StoredEvent> EventFeed::Take(bool* overflowed) {
  MutexLock lock(&mu_);
  std::vector<StoredEvent> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
  queue_.clear();
  woken_ = false;
  *overflowed = overflowed_;
  return out;
}

void EventFeed::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
  queue_.clear();
}

}  // namespace netsnap::api
