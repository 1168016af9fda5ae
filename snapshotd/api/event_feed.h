// Carries live events from the event bus (any publishing thread) to one streaming session.
// Push never blocks: it queues the event and wakes the session once; the session takes the
// queue on its own strand. A follower that falls too far behind is marked overflowed and
// dropped by its session rather than letting the queue grow without bound.
#pragma once

#include <deque>
#include <functional>
#include <vector>

#include "common/mutex.h"
#include "netsnap/store.h"

namespace netsnap::api {

class EventFeed {
 public:
  static constexpr size_t kMaxQueued = 10000;

  // `filter` selects the events to queue; `wake` is called (under the feed's lock, so it must
  // only post work) when the queue becomes non-empty.
  EventFeed(std::function<bool(const StoredEvent&)> filter, std::function<void()> wake);

  void Push(const StoredEvent& e);
  // Takes every queued event; *overflowed tells whether some were lost.
  std::vector<StoredEvent> Take(bool* overflowed);
  // After Close returns, wake is never called again.
  void Close();

 private:
  std::function<bool(const StoredEvent&)> filter_;
  std::function<void()> wake_;
  Mutex mu_;
  std::deque<StoredEvent> queue_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  bool woken_ GUARDED_BY(mu_) = false;
  bool overflowed_ GUARDED_BY(mu_) = false;
};

}  // namespace netsnap::api
