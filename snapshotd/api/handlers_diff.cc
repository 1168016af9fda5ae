// GET /v1/sources/{name}/diff?from=&to=[&format=text]: from and to are each a version number,
// a time, "latest" or "live"; `to` defaults to "latest". Runs on a worker (a side may be a full
// dump of the live state); the answer is written in pieces.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <memory>

#include "api/handlers.h"
#include "api/json.h"
#include "api/params.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

// The content of one side of a diff.
Status Load(const ApiContext& ctx, const std::string& name, const HistoryPoint& p, Snapshot* out) {
  if (!p.live) return ctx.store->Reconstruct(name, p.header.version, out);
  Recorder* rec = ctx.FindSource(name);
  if (!rec)
    return Status::NotFound("source '" + name + "' is not configured; it has no live state");
  return rec->source()->ReadLive(out);
}

json::value SideJson(const HistoryPoint& p) {
  return p.live ? json::value("live") : json::value(VersionJson(p.header));
}

std::string SideText(const HistoryPoint& p) {
  return p.live ? "live" : "version " + std::to_string(p.header.version);
}

// The diff as JSON ({"from","to","added","removed","changed"}) or as a +/- listing (a changed
// record is its old line then its new line), in pieces.
std::shared_ptr<ChunkedBody> DiffBody(const HistoryPoint& from, const HistoryPoint& to,
                                      std::shared_ptr<const Diff> d, bool text) {
  auto body = std::make_shared<ChunkedBody>();
  if (text) {
    body->Text("--- " + SideText(from) + "\n+++ " + SideText(to) + "\n");
    body->Items(d->removed.size(), [d](size_t i, std::string* out) {
      out->append("- ");
      AppendRecordText(d->removed[i].ref(), out);
    });
    body->Items(d->added.size(), [d](size_t i, std::string* out) {
      out->append("+ ");
      AppendRecordText(d->added[i].ref(), out);
    });
    body->Items(d->changed.size(), [d](size_t i, std::string* out) {
      const ChangedRecord& c = d->changed[i];
      out->append("- ");
      AppendRecordText({c.key, c.old_value}, out);
      out->append("+ ");
      AppendRecordText({c.key, c.new_value}, out);
    });
    return body;
  }
  body->Text("{\"from\":" + json::serialize(SideJson(from)) +
             ",\"to\":" + json::serialize(SideJson(to)) + ",\"added\":[");
  body->Items(
      d->added.size(),
      [d](size_t i, std::string* out) { AppendRecordJson(d->added[i].ref(), out); }, ",");
  body->Text("],\"removed\":[");
  body->Items(
      d->removed.size(),
      [d](size_t i, std::string* out) { AppendRecordJson(d->removed[i].ref(), out); }, ",");
  body->Text("],\"changed\":[");
  body->Items(
      d->changed.size(), [d](size_t i, std::string* out) { AppendChangedJson(d->changed[i], out); },
      ",");
  body->Text("]}\n");
  return body;
}

Status GetDiff(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  const std::string& name = req.Param("name");
  NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, name));
  bool text = false;
  NETSNAP_RETURN_IF_ERROR(TextFormat(req, &text));
  const std::string* from_spec = req.Query("from");
  if (!from_spec) return Status::InvalidArgument("from is required");
  const std::string* to_spec = req.Query("to");
  HistoryPoint from, to;
  NETSNAP_RETURN_IF_ERROR(
      ResolvePoint(ctx, name, *from_spec, req.now_ns, true, &from).WithContext("from"));
  NETSNAP_RETURN_IF_ERROR(
      ResolvePoint(ctx, name, to_spec ? *to_spec : "latest", req.now_ns, true, &to)
          .WithContext("to"));
  Diff diff;
  if (!from.live && !to.live) {
    NETSNAP_RETURN_IF_ERROR(
        ctx.store->DiffVersions(name, from.header.version, to.header.version, &diff));
  } else {
    Snapshot a, b;
    NETSNAP_RETURN_IF_ERROR(Load(ctx, name, from, &a));
    NETSNAP_RETURN_IF_ERROR(Load(ctx, name, to, &b));
    diff = ComputeDiff(a, b);
  }
  res->status = 200;
  res->chunked = DiffBody(from, to, std::make_shared<const Diff>(std::move(diff)), text);
  if (text) res->content_type = "text/plain; charset=utf-8";
  return Status::OK();
}

}  // namespace

void AddDiffRoutes(const ApiContext* ctx, Router* router) {
  router->Add(
      verb::get, "/v1/sources/{name}/diff", Role::kViewer,
      [ctx](const ApiRequest& req, ApiResponse* res) { return GetDiff(*ctx, req, res); },
      Runs::kWorker);
}

}  // namespace netsnap::api
