// Questions about history: `why` (what served an address or a name at a time) and `history`
// (every change to one record).
#include <boost/json.hpp>
#include <ctime>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "output.h"

namespace netsnap::cli {

namespace json = boost::json;

namespace {

// Percent-encodes a query value.
std::string Escape(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// "08:03" or "08:03:30" means that time of day in local time, today or, when that is still to
// come, yesterday; anything else goes to the server as it is (RFC 3339, Unix seconds, -15m, now).
std::string TimeArg(const std::string& s) {
  int h = 0, m = 0, sec = 0;
  char tail = 0;
  int n = std::sscanf(s.c_str(), "%2d:%2d:%2d%c", &h, &m, &sec, &tail);
  if ((n != 2 && n != 3) || h > 23 || m > 59 || sec > 59 || s.size() > 8) return s;
  time_t now = std::time(nullptr);
  struct tm t;
  localtime_r(&now, &t);
  t.tm_hour = h;
  t.tm_min = m;
  t.tm_sec = sec;
  t.tm_isdst = -1;
  time_t when = std::mktime(&t);
  if (when > now) when -= 86400;
  return std::to_string(static_cast<long long>(when));
}

// The source to ask: `given`, or the only configured source of `kind`.
int PickSource(const CliContext& ctx, const std::string& given, const char* kind,
               std::string* out) {
  if (!given.empty()) {
    *out = given;
    return kExitOk;
  }
  HttpResponse r;
  if (int rc = Request(ctx, "GET", "/v1/sources", "", &r)) return rc;
  std::vector<std::string> found;
  json::value v = r.Json();
  const json::value* list = v.is_object() ? v.as_object().if_contains("sources") : nullptr;
  if (list && list->is_array()) {
    for (const json::value& s : list->as_array()) {
      if (s.is_object() && s.as_object().if_contains("kind") && s.at("kind") == kind) {
        found.push_back(Cell(s.at("name")));
      }
    }
  }
  if (found.size() != 1) {
    std::cerr << "netsnap: " << found.size() << " " << kind
              << " sources are configured; name one with --source\n";
    return kExitUsage;
  }
  *out = found[0];
  return kExitOk;
}

std::string PointText(const json::value& p) {
  return "version " + Cell(p.at("version")) + " (" + ShortTime(p.at("time")) + ")";
}

void PrintAnswer(const json::object& a) {
  std::cout << "at " << ShortTime(a.at("at")) << ", " << PointText(a.at("version")) << "\n";
  const std::string outcome = Cell(a.at("outcome"));
  if (a.contains("walk")) {
    const json::array& walk = a.at("walk").as_array();
    if (outcome != "no_route" && !walk.empty()) {
      std::cout << "  rule   " << Cell(walk.back().at("rule")) << "\n";
    }
    if (outcome == "no_route") std::cout << "  no rule gave a route (network unreachable)\n";
    if (outcome == "reject_rule") std::cout << "  the rule rejects the flow\n";
    if (a.at("route").is_object()) {
      std::cout << "  table  " << Cell(a.at("table")) << "\n";
      std::cout << "  route  " << RecordLine(a.at("route")) << "\n";
    }
    for (const json::value& nh : a.at("nexthops").as_array()) {
      std::string line = "  via   ";
      if (!nh.at("gateway").is_null()) line += " " + Cell(nh.at("gateway"));
      if (!nh.at("dev").is_null()) line += " dev " + Cell(nh.at("dev"));
      line += " weight " + Cell(nh.at("weight"));
      if (!nh.at("nhid").is_null()) line += " (nhid " + Cell(nh.at("nhid"));
      if (!nh.at("group").is_null()) line += " in group " + Cell(nh.at("group"));
      if (!nh.at("nhid").is_null()) line += ")";
      std::cout << line << "\n";
    }
  } else if (outcome == "rule") {
    std::cout << "  domain " << Cell(a.at("matched")) << "\n";
    std::cout << "  rule   " << RecordLine(a.at("rule")) << "\n";
  } else {
    std::cout << "  no resolver rule applies\n";
  }
  const json::value& held = a.at("held");
  std::cout << "  held since " << PointText(held.at("since"))
            << (held.at("until").is_null() ? ", still holds"
                                           : ", until " + PointText(held.at("until")))
            << (held.at("complete").as_bool() ? "" : " (at least)") << "\n";
}

}  // namespace

int CmdWhy(const CliContext& ctx, const WhyArgs& args) {
  const bool by_name = !args.name.empty();
  if (by_name == !args.dst.empty()) {
    std::cerr << "netsnap: give an address or --name\n";
    return kExitUsage;
  }
  std::string source;
  if (int rc = PickSource(ctx, args.source, by_name ? "resolver" : "kernel", &source)) return rc;
  std::string target = "/v1/sources/" + Escape(source) + "/lookup?";
  target += by_name ? "name=" + Escape(args.name) : "dst=" + Escape(args.dst);
  for (const auto& [name, value] : args.selectors) {
    if (!value.empty()) target += "&" + name + "=" + Escape(value);
  }
  if (!args.at.empty()) target += "&at=" + Escape(TimeArg(args.at));
  if (!args.compare.empty()) target += "&compare=" + Escape(TimeArg(args.compare));
  HttpResponse r;
  if (int rc = Request(ctx, "GET", target, "", &r)) return rc;
  json::value v = r.Json();
  if (ctx.json) return PrintJson(v), kExitOk;
  const json::object& a = v.as_object();
  std::cout << (by_name ? args.name : args.dst) << " in " << source << "\n";
  PrintAnswer(a);
  if (a.contains("compare")) {
    PrintAnswer(a.at("compare").as_object());
    const json::array& changed = a.at("changed").as_array();
    std::string list;
    for (const json::value& c : changed) list += (list.empty() ? "" : ", ") + Cell(c);
    std::cout << (changed.empty() ? "unchanged" : "changed: " + list) << "\n";
  }
  return kExitOk;
}

int CmdHistory(const CliContext& ctx, const HistoryArgs& args) {
  std::string target = "/v1/sources/" + Escape(args.source) + "/history?";
  if (!args.key.empty()) {
    target += "key=" + Escape(args.key);
  } else if (args.what.find_first_not_of("0123456789abcdefABCDEF.:/") == std::string::npos ||
             args.what == "default") {
    target += "dst=" + Escape(args.what);
    if (!args.table.empty()) target += "&table=" + Escape(args.table);
  } else {
    target += "domain=" + Escape(args.what);
  }
  if (!args.since.empty()) target += "&since=" + Escape(TimeArg(args.since));
  if (!args.until.empty()) target += "&until=" + Escape(TimeArg(args.until));
  HttpResponse r;
  if (int rc = Request(ctx, "GET", target, "", &r)) return rc;
  json::value v = r.Json();
  if (ctx.json) return PrintJson(v), kExitOk;
  Table t({"VERSION", "TIME", "CAUSE", "ACTOR", "CHANGE", "RECORD"});
  for (const json::value& c : v.at("changes").as_array()) {
    const json::value& actor = c.at("actor");
    std::string who = actor.is_object() ? Cell(actor.at("process")) : "-";
    const json::value& rec = c.at("change") == "vanished" ? c.at("before") : c.at("record");
    std::string line = c.at("change") == "vanished" && rec.is_null() ? "-" : RecordLine(rec);
    if (c.at("change") == "changed") line = RecordLine(c.at("before")) + " -> " + line;
    t.Row({Cell(c.at("version")), ShortTime(c.at("time")), Cell(c.at("cause")), who,
           Cell(c.at("change")), line});
  }
  t.Print(ctx.color);
  if (v.at("truncated").as_bool()) std::cout << "(more changes: narrow with --since/--until)\n";
  return kExitOk;
}

}  // namespace netsnap::cli
