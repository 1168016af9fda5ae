// Subcommands for on-call: rollbacks, pause, resume, policy; and finding the one rollback that
// awaits confirmation, so that `confirm` and `cancel` need no id.
#include <boost/json.hpp>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "output.h"

namespace netsnap::cli {

namespace json = boost::json;

namespace {

constexpr const char* kAwaiting = "awaiting_confirmation";

// Keys of GET …/policy that describe the policy's state, not settings a PUT takes.
bool IsStateKey(std::string_view key) {
  return key == "source" || key == "webhook" || key == "state";
}

// Every rollback, newest first; returns an exit code (the problem printed when not kExitOk).
int FetchRollbacks(const CliContext& ctx, json::array* out) {
  HttpResponse r;
  if (int rc = Request(ctx, "GET", "/v1/rollbacks", "", &r)) return rc;
  json::value v = r.Json();
  if (!v.is_object() || !v.as_object().contains("rollbacks") || !v.at("rollbacks").is_array()) {
    std::cerr << "netsnap: the server's rollback list is not the expected JSON\n";
    return kExitServer;
  }
  *out = v.at("rollbacks").as_array();
  return kExitOk;
}

void PrintRollbackTable(const json::array& rollbacks, bool color, std::ostream& os) {
  Table t({"ID", "SOURCE", "STATE", "TO", "CREATED", "CONFIRM BY", "ACTOR", "REASON"});
  for (const json::value& rb : rollbacks) {
    t.Row({Cell(rb.at("id")), Cell(rb.at("source")), Cell(rb.at("state")), Cell(rb.at("to")),
           ShortTime(rb.at("created")), ShortTime(rb.at("confirm_deadline")), Cell(rb.at("actor")),
           Cell(rb.at("reason"))});
  }
  t.Print(color, os);
}

void PrintPolicy(const CliContext& ctx, const json::value& p) {
  if (ctx.json) return PrintJson(p);
  const json::object& o = p.as_object();
  const json::value& st = p.at("state");
  std::cout << Cell(p.at("source")) << ": action " << Cell(p.at("action"));
  if (st.at("paused").as_bool()) {
    std::cout << ", " << Paint(Color::kYellow, "paused", ctx.color);
    if (!st.at("paused_until").is_null())
      std::cout << " until " << ShortTime(st.at("paused_until")) << " UTC";
    std::cout << " by " << Cell(st.at("paused_by"));
    if (!st.at("pause_reason").as_string().empty())
      std::cout << " (" << Cell(st.at("pause_reason")) << ")";
  }
  if (!st.at("conflict").is_null()) {
    std::cout << ", " << Paint(Color::kRed, "conflict", ctx.color) << " (netsnap resume "
              << Cell(p.at("source")) << " clears it)";
  }
  std::cout << ", " << Cell(st.at("restores_last_hour")) << " restores in the last hour\n";
  Table t({"SETTING", "VALUE"});
  for (const auto& kv : o) {
    if (IsStateKey(kv.key())) continue;
    t.Row({std::string(kv.key()),
           kv.value().is_array() ? json::serialize(kv.value()) : Cell(kv.value())});
  }
  t.Print(ctx.color);
}

}  // namespace

int TheAwaitingRollback(const CliContext& ctx, const char* action, std::string* id) {
  json::array all, awaiting;
  if (int rc = FetchRollbacks(ctx, &all)) return rc;
  for (const json::value& rb : all) {
    if (rb.at("state") == kAwaiting) awaiting.push_back(rb);
  }
  if (awaiting.empty()) {
    std::cerr << "netsnap: no rollback awaits confirmation (netsnap rollbacks lists them all)\n";
    return kExitNotFound;
  }
  if (awaiting.size() > 1) {
    std::cerr << "netsnap: " << awaiting.size()
              << " rollbacks await confirmation; name one: netsnap " << action << " ID\n";
    PrintRollbackTable(awaiting, false, std::cerr);
    return kExitUsage;
  }
  *id = std::string(awaiting[0].at("id").as_string());
  return kExitOk;
}

int CmdRollbacks(const CliContext& ctx, bool pending) {
  json::array all, shown;
  if (int rc = FetchRollbacks(ctx, &all)) return rc;
  for (const json::value& rb : all) {
    if (!pending || rb.at("state") == kAwaiting) shown.push_back(rb);
  }
  if (ctx.json) {
    json::object o;
    o["rollbacks"] = std::move(shown);
    return PrintJson(o), kExitOk;
  }
  PrintRollbackTable(shown, ctx.color, std::cout);
  return kExitOk;
}

int CmdPause(const CliContext& ctx, const std::string& source, const std::string& duration,
             const std::string& reason) {
  json::object body;
  if (!duration.empty()) body["duration"] = duration;
  if (!reason.empty()) body["reason"] = reason;
  HttpResponse r;
  if (int rc = Request(ctx, "POST", "/v1/sources/" + QueryEscape(source) + "/pause",
                       json::serialize(body), &r)) {
    return rc;
  }
  PrintPolicy(ctx, r.Json());
  return kExitOk;
}

int CmdResume(const CliContext& ctx, const std::string& source) {
  HttpResponse r;
  if (int rc = Request(ctx, "POST", "/v1/sources/" + QueryEscape(source) + "/resume", "", &r)) {
    return rc;
  }
  PrintPolicy(ctx, r.Json());
  return kExitOk;
}

int CmdPolicy(const CliContext& ctx, const std::string& source,
              const std::vector<std::string>& sets) {
  std::string target = "/v1/sources/" + QueryEscape(source) + "/policy";
  HttpResponse r;
  if (int rc = Request(ctx, "GET", target, "", &r)) return rc;
  if (sets.empty()) return PrintPolicy(ctx, r.Json()), kExitOk;
  // The policy as it is, with each KEY=VALUE on top; VALUE is JSON when it parses as JSON
  // (numbers, true, ["a","b"]) and a string otherwise. The server names a key it does not take.
  json::value current = r.Json();
  if (!current.is_object()) {
    std::cerr << "netsnap: the server's policy is not a JSON object\n";
    return kExitServer;
  }
  json::object body;
  for (const auto& kv : current.as_object()) {
    if (!IsStateKey(kv.key())) body[kv.key()] = kv.value();
  }
  for (const std::string& set : sets) {
    size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "netsnap: --set " << set << ": expected KEY=VALUE, e.g. action=restore\n";
      return kExitUsage;
    }
    boost::system::error_code ec;
    json::value v = json::parse(set.substr(eq + 1), ec);
    body[set.substr(0, eq)] = ec ? json::value(set.substr(eq + 1)) : v;
  }
  if (int rc = Request(ctx, "PUT", target, json::serialize(body), &r)) return rc;
  PrintPolicy(ctx, r.Json());
  return kExitOk;
}

}  // namespace netsnap::cli
