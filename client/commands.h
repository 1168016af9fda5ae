// The CLI's subcommands. Each returns an exit code (exit_codes.h) and prints errors to stderr.
#pragma once

#include <string>
#include <vector>

#include "http_client.h"

namespace netsnap::cli {

struct CliContext {
  ApiClient client;
  bool json = false;       // --json: the server's JSON, pretty-printed
  bool color = false;      // stdout is a terminal and NO_COLOR is unset
  bool stdin_tty = false;  // prompts are possible
};

// Sends a request; on a transport error or a non-2xx answer prints the problem and returns the
// exit code, else returns kExitOk with *out filled.
int Request(const CliContext& ctx, std::string_view method, const std::string& target,
            const std::string& body, HttpResponse* out);

int CmdStatus(const CliContext& ctx);
int CmdSources(const CliContext& ctx);
int CmdLog(const CliContext& ctx, const std::string& source, const std::string& since,
           const std::string& until, size_t limit);
// spec: SOURCE, SOURCE@VERSION or SOURCE@TIME.
int CmdShow(const CliContext& ctx, const std::string& spec);
int CmdDiff(const CliContext& ctx, const std::string& source, const std::string& from,
            const std::string& to);
// With `follow`, prints events as they come and reconnects when the stream ends (a daemon
// restart), asking for the events after the last one printed (Last-Event-ID): none is lost.
int CmdEvents(const CliContext& ctx, bool follow, const std::string& since, const std::string& type,
              const std::string& source, size_t limit);

int CmdSnapshot(const CliContext& ctx, const std::string& source, const std::string& note);

struct RollbackArgs {
  std::string source;
  std::string to;
  std::vector<std::string> only;  // "table:main", "prefix:10.0.0.0/8", "kind:route", ...
  bool dry_run = false;
  std::string confirm_within;  // a duration, "" for none
  std::string reason;
  bool force = false;
  bool yes = false;
};
int CmdRollback(const CliContext& ctx, const RollbackArgs& args);
// With an empty id: the one rollback awaiting confirmation (exit 3 when none, 2 when several).
int CmdConfirm(const CliContext& ctx, const std::string& id);
int CmdCancel(const CliContext& ctx, const std::string& id);
// The id of the one rollback awaiting confirmation in *id; else prints why and returns the exit
// code (kExitNotFound: none; kExitUsage: several, listed on stderr). `action` names the command.
int TheAwaitingRollback(const CliContext& ctx, const char* action, std::string* id);

// Every rollback, newest first; only those awaiting confirmation with `pending`.
int CmdRollbacks(const CliContext& ctx, bool pending);
// Pause detection on `source` for `duration` ("" = until resumed), or resume it.
int CmdPause(const CliContext& ctx, const std::string& source, const std::string& duration,
             const std::string& reason);
int CmdResume(const CliContext& ctx, const std::string& source);
// Shows the detection policy, or with `sets` (KEY=VALUE) changes those keys and shows the result.
int CmdPolicy(const CliContext& ctx, const std::string& source,
              const std::vector<std::string>& sets);

struct WhyArgs {
  std::string source;  // "" : the only kernel (or, with name, resolver) source
  std::string dst;
  std::string name;
  std::vector<std::pair<std::string, std::string>> selectors;  // API parameter, value
  std::string at, compare;
};
// What served an address (or a name) at a time: GET /v1/sources/{name}/lookup.
int CmdWhy(const CliContext& ctx, const WhyArgs& args);

struct HistoryArgs {
  std::string source;
  std::string what;  // a prefix (routes) or a domain (resolver rules)
  std::string table, key, since, until;
};
// Every change to one record: GET /v1/sources/{name}/history.
int CmdHistory(const CliContext& ctx, const HistoryArgs& args);

struct ExportArgs {
  std::string source;
  std::string since, until;
  std::string format = "jsonl";  // or "text"
  bool diffs = false;            // after the first version, its diff from the one before
};
// Every version of a source in the range, oldest first (docs/cli.md, "Export").
int CmdExport(const CliContext& ctx, const ExportArgs& args);

// Prints a new random token and the token file line that grants it ROLE as NAME; needs no server.
int CmdTokenNew(const std::string& role, const std::string& name);

// One line for a record rendered by the API ("10.0.0.0/8 via 192.0.2.1 dev eth0 table 100").
std::string RecordLine(const boost::json::value& record);

}  // namespace netsnap::cli
