// Events (detections, audit entries, rollback outcomes), oldest first.
//
//   GET /v1/events?since=&after=&type=&source=&limit=  -> {"events":[…],"last_id"}
//   GET /v1/events?follow=1[&since=&after=&type=&source=]  -> server-sent events: the stored
//       events matching since/after first (none when neither is given), read in batches on a
//       worker, then live ones. A Last-Event-ID header (a client reconnecting) counts as `after`
//       when that is not given.
#include <boost/json/object.hpp>

#include "api/handlers.h"
#include "api/json.h"
#include "api/params.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 1000;
constexpr size_t kBatch = 256;
constexpr size_t kMaxScanned = 100000;  // per request, when filters skip most events

struct EventFilter {
  int64_t since_ns = INT64_MIN;
  uint64_t after_id = 0;
  std::string type;    // "" = any
  std::string source;  // "" = any
  bool Accepts(const StoredEvent& e) const {
    return e.id > after_id && e.time_ns >= since_ns && (type.empty() || e.type == type) &&
           (source.empty() || e.source == source);
  }
};

Status ParseFilter(const ApiRequest& req, EventFilter* f) {
  NETSNAP_RETURN_IF_ERROR(TimeParam(req, "since", &f->since_ns));
  if (const std::string* v = req.Query("after")) {
    if (!ParseVersionNumber(*v, &f->after_id)) {
      return Status::InvalidArgument("after must be an event id, not '" + *v + "'");
    }
  } else if (auto it = req.headers.find("last-event-id"); it != req.headers.end()) {
    if (!ParseVersionNumber(it->second, &f->after_id)) {
      return Status::InvalidArgument("Last-Event-ID must be an event id, not '" + it->second + "'");
    }
  }
  if (const std::string* v = req.Query("type")) f->type = *v;
  if (const std::string* v = req.Query("source")) f->source = *v;
  return Status::OK();
}

// One store read of up to kBatch events after *after: appends those `f` accepts while *out
// holds fewer than `limit`, and moves *after to the last event looked at. *more: the store may
// hold events after it.
Status ReadBatch(Store* store, const EventFilter& f, size_t limit, uint64_t* after,
                 std::vector<StoredEvent>* out, bool* more) {
  std::vector<StoredEvent> batch;
  NETSNAP_RETURN_IF_ERROR(
      store->ListEvents(*after, f.since_ns == INT64_MIN ? 0 : f.since_ns, kBatch, &batch));
  *more = batch.size() == kBatch;
  for (StoredEvent& e : batch) {
    if (out->size() == limit) {
      *more = true;
      break;
    }
    *after = e.id;
    if (f.Accepts(e)) out->push_back(std::move(e));
  }
  return Status::OK();
}

// Up to `limit` stored events the filter accepts; *last_id is the last id looked at.
Status Collect(Store* store, const EventFilter& f, size_t limit, std::vector<StoredEvent>* out,
               uint64_t* last_id) {
  uint64_t after = f.after_id;
  bool more = true;
  for (size_t scanned = 0; more && out->size() < limit && scanned < kMaxScanned;
       scanned += kBatch) {
    NETSNAP_RETURN_IF_ERROR(ReadBatch(store, f, limit, &after, out, &more));
  }
  *last_id = after;
  return Status::OK();
}

Status ListEvents(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  EventFilter f;
  NETSNAP_RETURN_IF_ERROR(ParseFilter(req, &f));
  const std::string* follow = req.Query("follow");
  if (follow && *follow != "0" && *follow != "false") {
    auto stream = std::make_shared<EventStream>();
    if (req.Query("since") || req.Query("after") || req.headers.count("last-event-id")) {
      // The whole backlog, one store read of kBatch events a call: the session writes each
      // batch before it asks for the next, so a long backlog costs one batch of memory.
      Store* store = ctx.store;
      stream->backlog = [store, f, after = f.after_id](std::vector<StoredEvent>* out,
                                                       bool* done) mutable {
        bool more = false;
        NETSNAP_RETURN_IF_ERROR(ReadBatch(store, f, SIZE_MAX, &after, out, &more));
        *done = !more;
        return Status::OK();
      };
    }
    stream->filter = [f](const StoredEvent& e) { return f.Accepts(e); };
    res->stream = std::move(stream);
    return Status::OK();
  }
  size_t limit = 0;
  NETSNAP_RETURN_IF_ERROR(LimitParam(req, kDefaultLimit, kMaxLimit, &limit));
  std::vector<StoredEvent> events;
  uint64_t last_id = 0;
  NETSNAP_RETURN_IF_ERROR(Collect(ctx.store, f, limit, &events, &last_id));
  json::array arr;
  arr.reserve(events.size());
  for (const StoredEvent& e : events) arr.push_back(EventJson(e));
  json::object out;
  out["events"] = std::move(arr);
  out["last_id"] = last_id;
  res->Json(200, out);
  return Status::OK();
}

}  // namespace

void AddEventRoutes(const ApiContext* ctx, Router* router) {
  router->Add(
      verb::get, "/v1/events", Role::kViewer,
      [ctx](const ApiRequest& req, ApiResponse* res) { return ListEvents(*ctx, req, res); });
}

}  // namespace netsnap::api
