// Version history of a source: pages of headers, and one version with its records.
//
//   GET /v1/sources/{name}/versions?since=&until=&limit=&order=desc|asc&cursor=
//   GET /v1/sources/{name}/versions/{version}   (a number, or "latest")
//   [?format=text&limit=&cursor=] GET /v1/sources/{name}/at/{time} [?format=text&limit=&cursor=]
//
// One version's records are written in pieces (chunked_body.h) on a worker; with `limit` they
// come a page at a time, `next_cursor` (the hex of the next record's key) asking for the next.
#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/handlers.h"
#include "api/json.h"
#include "api/params.h"
#include "common/coding.h"
#include "netsnap/time.h"

namespace netsnap::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

constexpr size_t kDefaultPage = 50;
constexpr size_t kMaxPage = 1000;
constexpr size_t kMaxRecordPage = 100000;

// Which records of a version a request asks for: from the key `cursor` on (all when empty), at
// most `limit` (all when 0).
struct RecordRange {
  std::string cursor;
  size_t limit = 0;
};

Status RecordRangeParams(const ApiRequest& req, RecordRange* out) {
  if (req.Query("limit")) {
    NETSNAP_RETURN_IF_ERROR(LimitParam(req, kMaxRecordPage, kMaxRecordPage, &out->limit));
  }
  if (const std::string* cursor = req.Query("cursor")) {
    if (!HexDecode(*cursor, &out->cursor) || out->cursor.empty()) {
      return Status::InvalidArgument("cursor must be the next_cursor of an earlier page, not '" +
                                     cursor->substr(0, 64) + "'");
    }
  }
  return Status::OK();
}

Status ListVersions(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  const std::string& name = req.Param("name");
  NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, name));
  VersionQuery q;
  NETSNAP_RETURN_IF_ERROR(TimeParam(req, "since", &q.since_ns));
  NETSNAP_RETURN_IF_ERROR(TimeParam(req, "until", &q.until_ns));
  NETSNAP_RETURN_IF_ERROR(LimitParam(req, kDefaultPage, kMaxPage, &q.limit));
  if (const std::string* order = req.Query("order")) {
    if (*order == "asc") {
      q.order = Order::kOldestFirst;
    } else if (*order != "desc") {
      return Status::InvalidArgument("order must be asc or desc, not '" + *order + "'");
    }
  }
  if (const std::string* cursor = req.Query("cursor")) q.cursor = *cursor;
  VersionPage page;
  Status s = ctx.store->ListVersions(name, q, &page);
  if (s.IsNotFound()) s = Status::OK();  // a configured source without versions yet
  NETSNAP_RETURN_IF_ERROR(s);
  // Written directly: this is the API's busiest answer.
  std::string& body = res->body;
  body.reserve(300 * page.versions.size() + 64);
  body = "{\"versions\":[";
  for (size_t i = 0; i < page.versions.size(); ++i) {
    if (i) body.push_back(',');
    AppendVersionJson(page.versions[i], &body);
  }
  body += "],\"next_cursor\":";
  body += page.next_cursor.empty() ? "null" : json::serialize(json::value(page.next_cursor));
  body += "}\n";
  res->status = 200;
  return Status::OK();
}

// Answers with a version's header and the records `req` asks for, as JSON or as text, in
// pieces.
Status ShowVersion(const ApiContext& ctx, const ApiRequest& req, const std::string& name,
                   const VersionHeader& h, ApiResponse* res) {
  bool text = false;
  NETSNAP_RETURN_IF_ERROR(TextFormat(req, &text));
  RecordRange range;
  NETSNAP_RETURN_IF_ERROR(RecordRangeParams(req, &range));
  Snapshot snap;
  NETSNAP_RETURN_IF_ERROR(ctx.store->Reconstruct(name, h.version, &snap));
  size_t begin = range.cursor.empty() ? 0 : snap.LowerBound(range.cursor);
  size_t end = range.limit ? std::min(snap.size(), begin + range.limit) : snap.size();
  std::string next_cursor = end < snap.size() ? HexEncode(snap.at(end).key) : "";
  auto body = std::make_shared<ChunkedBody>();
  res->status = 200;
  res->chunked = body;
  if (text) {
    res->content_type = "text/plain; charset=utf-8";
    if (!next_cursor.empty()) res->headers.emplace_back("Next-Cursor", next_cursor);
    body->Text("# " + name + " version " + std::to_string(h.version) + ", " +
               FormatTime(h.time_ns) + ", " + std::string(CauseName(h.cause)) + ", " +
               std::to_string(h.records) + " records\n");
    body->Items(end - begin, [snap, begin](size_t i, std::string* out) {
      AppendRecordText(snap.at(begin + i), out);
    });
    return Status::OK();
  }
  std::string head;
  AppendVersionJson(h, &head);
  head.back() = ',';  // the object goes on with the records
  head += "\"records\":[";
  body->Text(std::move(head));
  body->Items(
      end - begin,
      [snap, begin](size_t i, std::string* out) { AppendRecordJson(snap.at(begin + i), out); },
      ",");
  body->Text("],\"next_cursor\":" + (next_cursor.empty() ? "null" : '"' + next_cursor + '"') +
             "}\n");
  return Status::OK();
}

Status GetVersion(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  const std::string& name = req.Param("name");
  NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, name));
  const std::string& spec = req.Param("version");
  uint64_t number = 0;
  if (spec != "latest" && !ParseVersionNumber(spec, &number)) {
    return Status::InvalidArgument("version must be a number or 'latest', not '" + spec +
                                   "' (use /at/{time} for times)");
  }
  HistoryPoint p;
  NETSNAP_RETURN_IF_ERROR(ResolvePoint(ctx, name, spec, req.now_ns, false, &p));
  return ShowVersion(ctx, req, name, p.header, res);
}

Status GetAtTime(const ApiContext& ctx, const ApiRequest& req, ApiResponse* res) {
  const std::string& name = req.Param("name");
  NETSNAP_RETURN_IF_ERROR(CheckSource(ctx, name));
  int64_t t = 0;
  NETSNAP_RETURN_IF_ERROR(ParseTime(req.Param("time"), req.now_ns, &t));
  VersionHeader h;
  Status s = ctx.store->AtOrBefore(name, t, &h);
  if (s.IsNotFound()) {
    return Status::NotFound("source '" + name + "' has no version at or before " + FormatTime(t));
  }
  NETSNAP_RETURN_IF_ERROR(s);
  return ShowVersion(ctx, req, name, h, res);
}

}  // namespace

void AddVersionRoutes(const ApiContext* ctx, Router* router) {
  router->Add(
      verb::get, "/v1/sources/{name}/versions", Role::kViewer,
      [ctx](const ApiRequest& req, ApiResponse* res) { return ListVersions(*ctx, req, res); });
  router->Add(
      verb::get, "/v1/sources/{name}/versions/{version}", Role::kViewer,
      [ctx](const ApiRequest& req, ApiResponse* res) { return GetVersion(*ctx, req, res); },
      Runs::kWorker);
  router->Add(
      verb::get, "/v1/sources/{name}/at/{time}", Role::kViewer,
      [ctx](const ApiRequest& req, ApiResponse* res) { return GetAtTime(*ctx, req, res); },
      Runs::kWorker);
}

}  // namespace netsnap::api
