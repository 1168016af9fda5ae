// Events (detections, audit entries, rollback outcomes): stored, logged, and pushed to
// followers (the API's server-sent events, the webhook).
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace netsnap {

class EventBus {
 public:
  explicit EventBus(Store* store) : store_(store) {}

  // Stores an event of `type` for `source` ("" when none) with the given fields, logs it, then
  // calls every subscriber. Returns the stored event; its json holds `fields` only.
  StoredEvent Publish(const std::string& type, const std::string& source,
                      boost::json::object fields);

  using Subscriber = std::function<void(const StoredEvent&)>;
  // Returns a handle for Unsubscribe. Subscribers are called on the publishing thread and must
  // not block.
  int Subscribe(Subscriber fn);
  void Unsubscribe(int handle);

 private:
  Store* store_;
  std::mutex mu_;
  int next_handle_ = 1;
  std::vector<std::pair<int, Subscriber>> subscribers_;
};

// The event as clients see it: {"id","time","type","source", ...fields}.
boost::json::object EventToJson(const StoredEvent& e);

}  // namespace netsnap
