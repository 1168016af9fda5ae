#include "core/event_bus.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/logging.h"
#include "netsnap/time.h"

namespace netsnap {

StoredEvent EventBus::Publish(const std::string& type, const std::string& source,
                              boost::json::object fields) {
  StoredEvent e;
  e.type = type;
  e.source = source;
  e.time_ns = NowNs();
  e.json = boost::json::serialize(fields);
  std::vector<Subscriber> subs;
  {
    MutexLock l(&mu_);
    Status s = store_->AppendEvent(&e);
    if (!s.ok()) spdlog::error("cannot store event {}: {}", type, s.ToString());
    for (auto& [h, fn] : subscribers_) subs.push_back(fn);
  }
  LogEvent(spdlog::level::info, {source, type}, "event: " + e.json);
  for (auto& fn : subs) fn(e);
  return e;
}

boost::json::object EventToJson(const StoredEvent& e) {
  boost::json::object o;
  o["id"] = e.id;
  o["time"] = FormatTime(e.time_ns);
  o["type"] = e.type;
  o["source"] = e.source.empty() ? boost::json::value(nullptr) : boost::json::value(e.source);
  boost::system::error_code ec;
  boost::json::value fields = boost::json::parse(e.json, ec);
  if (!ec && fields.is_object()) {
    for (auto& [k, v] : fields.as_object()) {
      if (!o.contains(k)) o[k] = v;
    }
  }
  return o;
}

int EventBus::Subscribe(Subscriber fn) {
  MutexLock l(&mu_);
  int h = next_handle_++;
  subscribers_.emplace_back(h, std::move(fn));
  return h;
}

void EventBus::Unsubscribe(int handle) {
  MutexLock l(&mu_);
  std::erase_if(subscribers_, [&](const auto& p) { return p.first == handle; });
}

}  // namespace netsnap
