// netsnap: the command-line client of snapshotd's HTTP API. See docs/cli.md.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "netsnap_version.h"

namespace {

using namespace netsnap::cli;

// The token: NETSNAP_TOKEN, else the first word of the first non-comment line of the file
// (so the server's token file works too).
bool LoadToken(const std::string& file, std::string* token) {
  if (const char* env = std::getenv("NETSNAP_TOKEN"); env && *env && file.empty()) {
    *token = env;
    return true;
  }
  if (file.empty()) return true;
  std::ifstream in(file);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    size_t end = line.find_first_of(" \t\r", start);
    *token = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    return true;
  }
  return false;
}

constexpr const char* kDefaultSocket = "/run/netsnap/api.sock";
constexpr const char* kDefaultServer = "http://127.0.0.1:8470";

bool IsSocket(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// The connection: --server forces TCP; else --socket or NETSNAP_SOCKET names the socket; else the
// default socket when it exists (the daemon then knows the caller by its uid), else TCP on
// loopback.
netsnap::Status MakeClient(const CLI::App& app, const std::string& server,
                           const std::string& socket, const std::string& token,
                           std::chrono::milliseconds timeout, ApiClient* out) {
  if (app.count("--server") > 0) return ApiClient::Create(server, token, timeout, out);
  std::string path = socket;
  if (app.count("--socket") == 0) {
    const char* env = std::getenv("NETSNAP_SOCKET");
    path = env && *env ? env : "";
  }
  if (path.empty() && IsSocket(kDefaultSocket)) path = kDefaultSocket;
  if (path.empty()) return ApiClient::Create(kDefaultServer, token, timeout, out);
  *out = ApiClient::ForSocket(path, token, timeout);
  return netsnap::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netsnap: browse and roll back the network configuration history kept by snapshotd"};
  app.require_subcommand(1);
  // Global options are taken after the subcommand too (`netsnap log main --json`); subcommands
  // inherit this setting, so it comes before them.
  app.fallthrough();
  std::string server = kDefaultServer, socket = kDefaultSocket, token_file;
  bool json = false, no_color = false;
  double timeout_s = 60;
  app.add_option("--server", server, "API address; forces TCP (default: the socket if it exists)")
      ->capture_default_str();
  app.add_option("--socket", socket, "the daemon's Unix socket (else NETSNAP_SOCKET)")
      ->capture_default_str();
  app.add_option("--timeout", timeout_s, "seconds to wait for the server at each step")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--token-file", token_file, "file holding the bearer token (else NETSNAP_TOKEN)");
  app.add_flag("--json", json, "print the server's JSON");
  app.add_flag("--no-color", no_color, "never colour the output");
  app.set_version_flag(
      "--version", std::string("netsnap ") + NETSNAP_VERSION + " (" + NETSNAP_GIT_DESCRIBE + ")");

  auto* status = app.add_subcommand("status", "daemon and source health");
  auto* sources = app.add_subcommand("sources", "configured sources and their latest versions");

  std::string source, since, until, spec, from, to, type, note, id;
  size_t limit = 20;
  auto* log = app.add_subcommand("log", "version history of a source, newest first");
  log->add_option("SOURCE", source)->required();
  log->add_option("--since", since, "time: RFC 3339, Unix seconds or -15m/-2h/-1d");
  log->add_option("--until", until, "time");
  log->add_option("--limit", limit, "versions to list")->capture_default_str();

  auto* show =
      app.add_subcommand("show", "one version's records (SOURCE, SOURCE@VERSION, SOURCE@TIME)");
  show->add_option("SOURCE[@VERSION|@TIME]", spec)->required();

  auto* diff =
      app.add_subcommand("diff", "changes between two points (version, time, latest, live)");
  diff->add_option("SOURCE", source)->required();
  diff->add_option("FROM", from)->required();
  diff->add_option("TO", to, "default: latest");

  auto* snapshot = app.add_subcommand("snapshot", "capture a source now");
  snapshot->add_option("SOURCE", source)->required();
  snapshot->add_option("--note", note, "free text stored with the version");

  RollbackArgs rb;
  auto* rollback = app.add_subcommand("rollback", "put a source back to a version or time");
  rollback->add_option("SOURCE", rb.source)->required();
  rollback->add_option("--to", rb.to, "version number or time")->required();
  rollback->add_option("--only", rb.only, "scope: table:T prefix:P kind:K domain:D file:F");
  rollback->add_flag("--dry-run", rb.dry_run, "show the plan and change nothing");
  rollback->add_option("--confirm,--confirm-within", rb.confirm_within,
                       "revert unless confirmed in time (e.g. 5m), as Junos' commit confirmed");
  rollback->add_option("--reason", rb.reason, "why (recorded in the audit log)");
  rollback->add_flag("--force", rb.force, "override the blast-radius guard (needs --reason)");
  rollback->add_flag("--yes,-y", rb.yes, "apply without showing the plan and asking");

  auto* confirm = app.add_subcommand("confirm", "keep a rollback that awaits confirmation");
  confirm->add_option("ID", id, "default: the one rollback awaiting confirmation");
  auto* cancel = app.add_subcommand("cancel", "revert a rollback that awaits confirmation now");
  cancel->add_option("ID", id, "default: the one rollback awaiting confirmation");

  bool pending = false;
  auto* rollbacks = app.add_subcommand("rollbacks", "rollbacks, newest first");
  rollbacks->add_flag("--pending", pending, "only those awaiting confirmation");

  std::string pause_for;
  auto* pause = app.add_subcommand("pause", "let a planned change through: pause detection");
  pause->add_option("SOURCE", source)->required();
  pause->add_option("--for", pause_for, "how long (e.g. 30m, at most 7d; default: until resume)");
  pause->add_option("--reason", note, "why (shown with the pause and in the audit)");
  auto* resume = app.add_subcommand("resume", "resume detection; clears a conflict");
  resume->add_option("SOURCE", source)->required();
  std::vector<std::string> policy_sets;
  auto* policy = app.add_subcommand("policy", "show or change a source's detection policy");
  policy->add_option("SOURCE", source)->required();
  policy->add_option("--set", policy_sets, "KEY=VALUE (VALUE as JSON, else a string)");

  bool follow = false;
  size_t event_limit = 100;
  auto* events = app.add_subcommand("events", "detections, audit entries and rollback outcomes");
  events->add_flag("--follow,-f", follow, "keep printing new events");
  events->add_option("--since", since, "time");
  events->add_option("--type", type, "only this type (audit, detection, ...)");
  events->add_option("--source", source, "only this source");
  events->add_option("--limit", event_limit, "events to list")->capture_default_str();

  WhyArgs why_args;
  std::string why_from, why_iif, why_oif, why_mark, why_uid, why_proto, why_sport, why_dport,
      why_tos;
  auto* why = app.add_subcommand("why", "what served an address (or --name) at a time");
  why->add_option("ADDRESS", why_args.dst, "destination address");
  why->add_option("--name", why_args.name, "a domain name: ask a resolver source instead");
  why->add_option("--source", why_args.source, "default: the only kernel (resolver) source");
  why->add_option("--at", why_args.at, "time (08:03 = today, local time; default now)");
  why->add_option("--compare", why_args.compare, "a second time to answer for (e.g. now)");
  why->add_option("--from", why_from, "source address");
  why->add_option("--iif", why_iif, "input interface (a forwarded flow)");
  why->add_option("--oif", why_oif, "output interface");
  why->add_option("--mark", why_mark, "firewall mark");
  why->add_option("--uid", why_uid, "user id");
  why->add_option("--ipproto", why_proto, "tcp, udp, icmp or a number");
  why->add_option("--sport", why_sport, "source port");
  why->add_option("--dport", why_dport, "destination port");
  why->add_option("--tos", why_tos, "type of service");

  HistoryArgs hist;
  auto* history = app.add_subcommand("history", "every change to one route or resolver rule");
  history->add_option("SOURCE", hist.source)->required();
  history->add_option("WHAT", hist.what, "a prefix (10.1.0.0/16) or a domain");
  history->add_option("--table", hist.table, "only routes of this table");
  history->add_option("--key", hist.key, "a record key in hex instead of WHAT");
  history->add_option("--since", hist.since, "time");
  history->add_option("--until", hist.until, "time");

  ExportArgs exp;
  auto* export_cmd =
      app.add_subcommand("export", "every version of a source, oldest first, for an archive");
  export_cmd->add_option("SOURCE", exp.source)->required();
  export_cmd->add_option("--since", exp.since, "time");
  export_cmd->add_option("--until", exp.until, "time");
  export_cmd->add_option("--format", exp.format, "jsonl or text")->capture_default_str();
  export_cmd->add_flag("--diffs", exp.diffs,
                       "after the first version, its changes from the one before");

  std::string token_role, token_name;
  auto* token_cmd = app.add_subcommand("token", "bearer tokens for the token file");
  token_cmd->require_subcommand(1);
  auto* token_new = token_cmd->add_subcommand("new", "print a new token and its token file line");
  token_new->add_option("ROLE", token_role, "viewer or operator")->required();
  token_new->add_option("NAME", token_name, "who holds it (shown in the audit)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  if (*token_new) return CmdTokenNew(token_role, token_name);

  CliContext ctx;
  std::string token;
  if (!LoadToken(token_file, &token)) {
    std::cerr << "netsnap: cannot read a token from " << token_file << "\n";
    return kExitUsage;
  }
  netsnap::Status s =
      MakeClient(app, server, socket, token,
                 std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)), &ctx.client);
  if (!s.ok()) {
    std::cerr << "netsnap: --server: " << s.message() << "\n";
    return kExitUsage;
  }
  ctx.json = json;
  ctx.color = !json && !no_color && isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  ctx.stdin_tty = isatty(STDIN_FILENO);

  if (*status) return CmdStatus(ctx);
  if (*sources) return CmdSources(ctx);
  if (*log) return CmdLog(ctx, source, since, until, limit);
  if (*show) return CmdShow(ctx, spec);
  if (*diff) return CmdDiff(ctx, source, from, to);
  if (*snapshot) return CmdSnapshot(ctx, source, note);
  if (*rollback) return CmdRollback(ctx, rb);
  if (*confirm) return CmdConfirm(ctx, id);
  if (*cancel) return CmdCancel(ctx, id);
  if (*events) return CmdEvents(ctx, follow, since, type, source, event_limit);
  if (*rollbacks) return CmdRollbacks(ctx, pending);
  if (*pause) return CmdPause(ctx, source, pause_for, note);
  if (*resume) return CmdResume(ctx, source);
  if (*policy) return CmdPolicy(ctx, source, policy_sets);
  if (*export_cmd) return CmdExport(ctx, exp);
  if (*why) {
    why_args.selectors = {{"src", why_from},    {"iif", why_iif},     {"oif", why_oif},
                          {"mark", why_mark},   {"uid", why_uid},     {"ipproto", why_proto},
                          {"sport", why_sport}, {"dport", why_dport}, {"tos", why_tos}};
    return CmdWhy(ctx, why_args);
  }
  if (*history) {
    if (hist.what.empty() == hist.key.empty()) {
      std::cerr << "netsnap: history needs a prefix, a domain or --key\n";
      return kExitUsage;
    }
    return CmdHistory(ctx, hist);
  }
  return kExitUsage;
}
