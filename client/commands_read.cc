// Read-only subcommands: status, sources, log, show, diff, events.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include "commands.h"
#include "common/render.h"
#include "exit_codes.h"
#include "netsnap/time.h"
#include "output.h"

namespace netsnap::cli {

namespace json = boost::json;

namespace {
// Integers at or above this are Unix seconds, not version numbers (as the server decides).
constexpr uint64_t kFirstUnixSecondsTime = 1000000000;

bool IsVersionNumber(const std::string& s, uint64_t* n) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18) {
    return false;
  }
  *n = std::stoull(s);
  return *n < kFirstUnixSecondsTime;
}

std::string ActorCell(const json::value& a) {
  if (!a.is_object()) return "-";
  std::string s = Cell(a.at("process"));
  if (a.at("pid").to_number<int64_t>() != 0) s += "[" + Cell(a.at("pid")) + "]";
  return s;
}
}  // namespace

int Request(const CliContext& ctx, std::string_view method, const std::string& target,
            const std::string& body, HttpResponse* out) {
  Status s = ctx.client.Call(method, target, body, out);
  if (!s.ok()) {
    std::cerr << "netsnap: " << s.message() << "\n";
    return kExitServer;
  }
  int code = ExitCodeForHttp(out->status);
  if (code != kExitOk) std::cerr << "netsnap: " << out->ErrorText() << "\n";
  return code;
}

std::string RecordLine(const json::value& record) {
  if (!record.is_object()) return Cell(record);
  return RecordJsonLine(record.as_object(), &Cell);
}

int CmdStatus(const CliContext& ctx) {
  // A degraded daemon answers 503 with the same body: show it, and exit kExitDegraded.
  HttpResponse r;
  if (Status s = ctx.client.Call("GET", "/v1/health", "", &r); !s.ok()) {
    std::cerr << "netsnap: " << s.message() << "\n";
    return kExitServer;
  }
  json::value v = r.Json();
  bool health =
      (r.status == 200 || r.status == 503) && v.is_object() && v.as_object().contains("status");
  if (!health) {  // an error answer (401, 5xx), or one that is not the health body
    std::cerr << "netsnap: " << r.ErrorText() << "\n";
    return r.status == 200 ? kExitServer : ExitCodeForHttp(r.status);
  }
  bool ok = v.at("status") == "ok";
  int code = ok ? kExitOk : kExitDegraded;
  if (ctx.json) return PrintJson(v), code;
  std::cout << "status: "
            << Paint(ok ? Color::kGreen : Color::kRed, Cell(v.at("status")), ctx.color) << "\n";
  Table t({"SOURCE", "STATE", "LAST CAPTURE", "ERROR"});
  for (const json::value& s : v.at("sources").as_array()) {
    t.Row({Cell(s.at("name")), Cell(s.at("state")), ShortTime(s.at("last_capture")),
           Cell(s.at("error"))});
  }
  t.Print(ctx.color);
  const json::value& disk = v.at("disk");
  if (!disk.at("write_error").is_null() || disk.at("state") != "ok") {
    std::cout << "store: " << Cell(disk.at("state")) << ", " << Cell(disk.at("bytes")) << " bytes";
    if (!disk.at("write_error").is_null())
      std::cout << ", write error: " << Cell(disk.at("write_error"));
    std::cout << "\n";
  }
  return code;
}

int CmdSources(const CliContext& ctx) {
  HttpResponse r;
  if (int rc = Request(ctx, "GET", "/v1/sources", "", &r)) return rc;
  json::value v = r.Json();
  if (ctx.json) return PrintJson(v), kExitOk;
  Table t({"NAME", "KIND", "WATCHES", "VERSION", "TIME", "RECORDS"});
  for (const json::value& s : v.at("sources").as_array()) {
    t.Row({Cell(s.at("name")), Cell(s.at("kind")), Cell(s.at("namespace")),
           Cell(s.at("latest_version")), ShortTime(s.at("latest_time")), Cell(s.at("records"))});
  }
  t.Print(ctx.color);
  return kExitOk;
}

int CmdLog(const CliContext& ctx, const std::string& source, const std::string& since,
           const std::string& until, size_t limit) {
  json::array all;
  std::string cursor;
  while (all.size() < limit) {
    std::string target = "/v1/sources/" + QueryEscape(source) + "/versions?limit=" +
                         std::to_string(std::min<size_t>(limit - all.size(), 1000));
    if (!since.empty()) target += "&since=" + QueryEscape(since);
    if (!until.empty()) target += "&until=" + QueryEscape(until);
    if (!cursor.empty()) target += "&cursor=" + QueryEscape(cursor);
    HttpResponse r;
    if (int rc = Request(ctx, "GET", target, "", &r)) return rc;
    json::value page = r.Json();
    for (const json::value& v : page.at("versions").as_array()) all.push_back(v);
    if (!page.at("next_cursor").is_string()) break;
    cursor = std::string(page.at("next_cursor").as_string());
  }
  if (ctx.json) {
    json::object o;
    o["versions"] = all;
    return PrintJson(o), kExitOk;
  }
  Table t({"VERSION", "TIME", "CAUSE", "RECORDS", "CHANGES", "ACTOR"});
  for (const json::value& v : all) {
    std::string changes =
        "+" + Cell(v.at("added")) + " -" + Cell(v.at("removed")) + " ~" + Cell(v.at("changed"));
    t.Row({Cell(v.at("version")), ShortTime(v.at("time")), Cell(v.at("cause")),
           Cell(v.at("records")), changes, ActorCell(v.at("actor"))});
  }
  t.Print(ctx.color);
  return kExitOk;
}

int CmdShow(const CliContext& ctx, const std::string& spec) {
  size_t at = spec.find('@');
  std::string source = spec.substr(0, at);
  std::string when = at == std::string::npos ? "" : spec.substr(at + 1);
  std::string target = "/v1/sources/" + QueryEscape(source);
  uint64_t n = 0;
  if (when.empty() || when == "latest") {
    target += "/versions/latest";
  } else if (IsVersionNumber(when, &n)) {
    target += "/versions/" + when;
  } else {
    target += "/at/" + QueryEscape(when);
  }
  if (!ctx.json) target += "?format=text";
  HttpResponse r;
  if (int rc = Request(ctx, "GET", target, "", &r)) return rc;
  if (ctx.json) return PrintJson(r.Json()), kExitOk;
  std::cout << r.body;
  return kExitOk;
}

int CmdDiff(const CliContext& ctx, const std::string& source, const std::string& from,
            const std::string& to) {
  std::string target = "/v1/sources/" + QueryEscape(source) + "/diff?from=" + QueryEscape(from);
  if (!to.empty()) target += "&to=" + QueryEscape(to);
  if (!ctx.json) target += "&format=text";
  HttpResponse r;
  if (int rc = Request(ctx, "GET", target, "", &r)) return rc;
  if (ctx.json) return PrintJson(r.Json()), kExitOk;
  size_t pos = 0;
  while (pos < r.body.size()) {
    size_t nl = r.body.find('\n', pos);
    if (nl == std::string::npos) nl = r.body.size();
    std::string line = r.body.substr(pos, nl - pos);
    pos = nl + 1;
    Color c = line.rfind("+++", 0) == 0 || line.rfind("---", 0) == 0 ? Color::kBold
              : line.rfind("+ ", 0) == 0                             ? Color::kGreen
              : line.rfind("- ", 0) == 0                             ? Color::kRed
                                                                     : Color::kNone;
    std::cout << Paint(c, line, ctx.color) << "\n";
  }
  return kExitOk;
}

namespace {

// Streams events until interrupted. When the stream ends after it had begun (the daemon
// restarted), reconnects after a pause (0.5 s doubling to 5 s) and asks for the events after
// the last one printed, so none is lost or printed twice; before any event, for those since the
// first connection. A failure before the stream ever began is reported with its exit code.
int FollowEvents(const CliContext& ctx, const std::string& target, bool no_since,
                 const std::function<void(const json::value&)>& print) {
  std::string first_connect = FormatTime(NowNs());
  uint64_t last_id = 0;
  bool began = false;
  auto delay = std::chrono::milliseconds(500);
  for (;;) {
    std::string t = target + "&follow=1";
    if (began && last_id == 0 && no_since) t += "&since=" + QueryEscape(first_connect);
    HttpResponse answer;
    Status s = ctx.client.Stream(
        t,
        [&](const std::string&, const std::string& data) {
          boost::system::error_code ec;
          json::value v = json::parse(data, ec);
          if (ec || !v.is_object()) return true;
          if (const json::value* id = v.as_object().if_contains("id"); id && id->is_number()) {
            last_id = std::max(last_id, id->to_number<uint64_t>());
          }
          print(v);
          std::cout.flush();
          delay = std::chrono::milliseconds(500);
          return true;
        },
        &answer, last_id ? std::to_string(last_id) : "");
    if (s.ok() && answer.status == 200) {
      began = true;
    } else if (!began || (s.ok() && answer.status != 503)) {
      if (!s.ok()) std::cerr << "netsnap: " << s.message() << "\n";
      if (s.ok()) std::cerr << "netsnap: " << answer.ErrorText() << "\n";
      return s.ok() ? ExitCodeForHttp(answer.status) : kExitServer;
    }
    std::cerr << "netsnap: the event stream ended (" << (s.ok() ? "closed" : s.message())
              << "); reconnecting\n";
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace

int CmdEvents(const CliContext& ctx, bool follow, const std::string& since, const std::string& type,
              const std::string& source, size_t limit) {
  std::string target = "/v1/events?limit=" + std::to_string(limit);
  if (!since.empty()) target += "&since=" + QueryEscape(since);
  if (!type.empty()) target += "&type=" + QueryEscape(type);
  if (!source.empty()) target += "&source=" + QueryEscape(source);
  auto line = [&](const json::value& e) {
    if (ctx.json) {
      std::cout << json::serialize(e) << "\n";
      return;
    }
    json::object rest = e.as_object();
    for (const char* k : {"id", "time", "type", "source"}) rest.erase(k);
    std::cout << Paint(Color::kDim, ShortTime(e.at("time")), ctx.color) << "  "
              << Paint(Color::kYellow, Cell(e.at("type")), ctx.color) << "  "
              << Cell(e.at("source")) << "  " << json::serialize(rest) << "\n";
  };
  if (follow) return FollowEvents(ctx, target, since.empty(), line);
  HttpResponse r;
  if (int rc = Request(ctx, "GET", target, "", &r)) return rc;
  json::value v = r.Json();
  for (const json::value& e : v.at("events").as_array()) line(e);
  return kExitOk;
}

}  // namespace netsnap::cli
