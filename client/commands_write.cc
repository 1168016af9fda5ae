// Subcommands that change things: snapshot, rollback, confirm, cancel.
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "netsnap/time.h"
#include "output.h"

namespace netsnap::cli {

namespace json = boost::json;

namespace {

// "table:main" -> scope["tables"] += "main"; numbers stay numbers for tables.
bool AddToScope(const std::string& item, json::object* scope) {
  size_t colon = item.find(':');
  if (colon == std::string::npos) return false;
  std::string dim = item.substr(0, colon), value = item.substr(colon + 1);
  static const std::pair<const char*, const char*> kDims[] = {{"table", "tables"},
                                                              {"prefix", "prefixes"},
                                                              {"kind", "kinds"},
                                                              {"domain", "domains"},
                                                              {"file", "files"}};
  for (const auto& [singular, plural] : kDims) {
    if (dim != singular && dim != plural) continue;
    json::value& list = (*scope)[plural];
    if (!list.is_array()) list = json::array();
    bool number = dim.rfind("table", 0) == 0 && !value.empty() &&
                  value.find_first_not_of("0123456789") == std::string::npos;
    if (number) {
      list.as_array().push_back(std::stoll(value));
    } else {
      list.as_array().push_back(json::value(value));
    }
    return true;
  }
  return false;
}

void PrintPlan(const CliContext& ctx, const json::value& plan) {
  const json::value& to = plan.at("target");
  const json::value& records = plan.at("plan").at("records");
  std::cout << "Plan: " << Cell(plan.at("source")) << " back to version " << Cell(to.at("version"))
            << " (" << ShortTime(to.at("time")) << "): add " << Cell(plan.at("plan").at("add"))
            << ", remove " << Cell(plan.at("plan").at("remove")) << ", replace "
            << Cell(plan.at("plan").at("replace")) << "\n";
  for (const json::value& r : records.at("add").as_array()) {
    std::cout << Paint(Color::kGreen, "+ " + RecordLine(r), ctx.color) << "\n";
  }
  for (const json::value& r : records.at("remove").as_array()) {
    std::cout << Paint(Color::kRed, "- " + RecordLine(r), ctx.color) << "\n";
  }
  if (plan.at("plan").at("truncated").as_bool()) std::cout << "(more records not shown)\n";
  for (const json::value& c : records.at("replace").as_array()) {
    std::cout << Paint(Color::kRed, "- " + RecordLine(c.at("old")), ctx.color) << "\n"
              << Paint(Color::kGreen, "+ " + RecordLine(c.at("new")), ctx.color) << "\n";
  }
}

// Prints a rollback as the server returns it.
void PrintRollback(const CliContext& ctx, const json::value& rb) {
  if (ctx.json) return PrintJson(rb);
  if (rb.as_object().contains("plan") && rb.at("state") == "planned") return PrintPlan(ctx, rb);
  const json::object& o = rb.as_object();
  std::cout << "rollback " << Cell(o.contains("id") ? rb.at("id") : nullptr) << ": "
            << Cell(o.contains("state") ? rb.at("state") : nullptr);
  if (const json::value* p = o.if_contains("plan")) {
    std::cout << " (add " << Cell(p->at("add")) << ", remove " << Cell(p->at("remove"))
              << ", replace " << Cell(p->at("replace")) << ")";
  }
  if (const json::value* v = o.if_contains("post_version"); v && !v->is_null()) {
    std::cout << ", now version " << Cell(*v);
  }
  std::cout << "\n";
  // As Junos says after `commit confirmed`: when it goes back, and how to keep it.
  const json::value* d = o.if_contains("confirm_deadline");
  if (d && d->is_string() && rb.at("state") == "awaiting_confirmation") {
    int64_t deadline = 0;
    std::string left;
    if (ParseTime(d->as_string(), NowNs(), &deadline).ok()) {
      left =
          " (in " + std::to_string(std::max<int64_t>(0, (deadline - NowNs()) / 1000000000)) + " s)";
    }
    std::cout << "  it will be rolled back at " << ShortTime(*d) << " UTC" << left
              << " unless confirmed: netsnap confirm " << Cell(rb.at("id")) << "\n";
  }
  if (const json::value* e = o.if_contains("error")) std::cout << "  " << Cell(*e) << "\n";
  if (const json::value* f = o.if_contains("failures")) {
    for (const json::value& x : f->as_array()) {
      std::cout << "  failed: " << RecordLine(x.at("record")) << ": " << Cell(x.at("error"))
                << "\n";
    }
  }
}

bool AskYes(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// True when the rollback ended `failed`: what it applied did not take and was reverted (or, for
// a cancel, the revert itself did not take).
bool Failed(const json::value& rb) {
  const json::value* state = rb.is_object() ? rb.as_object().if_contains("state") : nullptr;
  return state && *state == "failed";
}

// Confirm or cancel `id`, or the one rollback awaiting confirmation when `id` is empty.
int PostRollbackCall(const CliContext& ctx, std::string id, const char* action) {
  if (id.empty()) {
    if (int rc = TheAwaitingRollback(ctx, action, &id)) return rc;
  }
  HttpResponse r;
  if (int rc = Request(ctx, "POST", "/v1/rollbacks/" + QueryEscape(id) + "/" + action, "", &r)) {
    return rc;
  }
  json::value rb = r.Json();
  PrintRollback(ctx, rb);
  return Failed(rb) ? kExitFailed : kExitOk;
}

}  // namespace

int CmdSnapshot(const CliContext& ctx, const std::string& source, const std::string& note) {
  json::object body;
  if (!note.empty()) body["note"] = note;
  HttpResponse r;
  if (int rc = Request(ctx, "POST", "/v1/sources/" + QueryEscape(source) + "/snapshots",
                       json::serialize(body), &r)) {
    return rc;
  }
  json::value v = r.Json();
  if (ctx.json) return PrintJson(v), kExitOk;
  bool created = v.at("created").as_bool();
  std::cout << source << ": version " << Cell(v.at("version")) << " "
            << (created ? Paint(Color::kGreen, "(new)", ctx.color) : "(unchanged)") << ", "
            << Cell(v.at("records")) << " records\n";
  return kExitOk;
}

int CmdRollback(const CliContext& ctx, const RollbackArgs& args) {
  json::object body;
  body["to"] = args.to;
  json::object scope;
  for (const std::string& item : args.only) {
    if (!AddToScope(item, &scope)) {
      std::cerr << "netsnap: --only " << item
                << ": expected table:T, prefix:P, kind:K, domain:D or file:F\n";
      return kExitUsage;
    }
  }
  if (!scope.empty()) body["scope"] = scope;
  if (!args.confirm_within.empty()) {
    int64_t ns = 0;
    Status s = ParseDuration(args.confirm_within, &ns);
    if (!s.ok()) {
      std::cerr << "netsnap: --confirm-within: " << s.message() << "\n";
      return kExitUsage;
    }
    body["confirm_within_s"] = static_cast<double>(ns) / 1e9;
  }
  if (!args.reason.empty()) body["reason"] = args.reason;
  if (args.force) body["force"] = true;
  std::string target = "/v1/sources/" + QueryEscape(args.source) + "/rollbacks";

  if (args.dry_run || !args.yes) {
    json::object dry = body;
    dry["dry_run"] = true;
    HttpResponse r;
    if (int rc = Request(ctx, "POST", target, json::serialize(dry), &r)) return rc;
    PrintRollback(ctx, r.Json());
    if (args.dry_run) return kExitOk;
    if (!ctx.stdin_tty) {
      std::cerr << "netsnap: not rolling back: stdin is not a terminal; pass --yes to apply\n";
      return kExitRefused;
    }
    if (!AskYes("Apply this rollback to " + args.source + "?")) {
      std::cerr << "netsnap: rollback not applied\n";
      return kExitRefused;
    }
  }
  body["dry_run"] = false;
  HttpResponse r;
  if (int rc = Request(ctx, "POST", target, json::serialize(body), &r)) return rc;
  json::value rb = r.Json();
  PrintRollback(ctx, rb);
  return Failed(rb) ? kExitFailed : kExitOk;
}

int CmdConfirm(const CliContext& ctx, const std::string& id) {
  return PostRollbackCall(ctx, id, "confirm");
}

int CmdCancel(const CliContext& ctx, const std::string& id) {
  return PostRollbackCall(ctx, id, "cancel");
}

}  // namespace netsnap::cli
