// Events (detections, audit entries, rollback outcomes): stored, logged, and pushed to
// followers (the API's server-sent events, the webhook).
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "netsnap/store.h"

namespace netsnap {

class EventBus {
 public:
  explicit EventBus(Store* store) : store_(store) {}

  // Stores an event of `type` for `source` ("" when none) with the given fields, logs it, then
  // calls every subscriber (outside mu_). Returns the stored event; its json holds `fields` only.
  StoredEvent Publish(const std::string& type, const std::string& source,
                      boost::json::object fields) EXCLUDES(mu_);

  using Subscriber = std::function<void(const StoredEvent&)>;
  // Returns a handle for Unsubscribe. Subscribers are called on the publishing thread and must
  // not block.
  int Subscribe(Subscriber fn);
  void Unsubscribe(int handle);

 private:
  Store* store_;
  Mutex mu_;
  int next_handle_ GUARDED_BY(mu_) = 1;
  std::vector<std::pair<int, Subscriber>> subscribers_ GUARDED_BY(mu_);
};

// The event as clients see it: {"id","time","type","source", ...fields}.
boost::json::object EventToJson(const StoredEvent& e);

}  // namespace netsnap
