// snapshotd: keeps a versioned history of this host's network configuration and rolls it back.
//
// Exit codes (docs/operations.md, snapshotd(8)):
//   0  stopped on SIGTERM or SIGINT; --version, --help; --check-config found the file valid;
//      `backup OUT` made a backup and verified it
//   1  could not start or keep running (the store, a listening socket, a failed reload that
//      left nothing running, a store format this build does not read); `backup` failed
//   2  invalid command line or configuration (nothing was started)
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "core/config.h"
#include "core/logging.h"
#include "core/notify.h"
#include "core/watchdog.h"
#include "netsnap/time.h"
#include "netsnap_version.h"
#include "service/backup_command.h"
#include "service/config_check.h"
#include "service/service.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitInvalid = 2;

// What the command line says about the configuration; applied again on every reload.
struct Flags {
  std::string config_path, data_dir, listen, log_level, log_format;
  std::string socket;  // --socket, "" for none; only when socket_set
  bool socket_set = false;
};

// The file to read: --config, else the default path when it exists ("" then: embedded).
std::string ConfigPath(const Flags& f) {
  if (!f.config_path.empty()) return f.config_path;
  std::error_code ec;
  std::string path = netsnap::DefaultConfigPath();
  return std::filesystem::exists(path, ec) ? path : "";
}

// Reads the configuration and applies the flags and defaults. Reads only.
netsnap::Status LoadEffectiveConfig(const Flags& f, netsnap::DaemonConfig* out) {
  netsnap::DaemonConfig c = netsnap::DefaultConfig();
  if (std::string path = ConfigPath(f); !path.empty()) {
    NETSNAP_RETURN_IF_ERROR(netsnap::LoadConfig(path, &c));
  }
  if (!f.data_dir.empty()) c.data_dir = f.data_dir;
  if (!f.listen.empty()) c.listen = f.listen;
  if (f.socket_set) c.socket = f.socket;
  if (!f.log_level.empty()) c.log_level = f.log_level;
  if (!f.log_format.empty()) c.log_format = f.log_format;
  if (c.log_format != "text" && c.log_format != "json") {
    return netsnap::Status::InvalidArgument("--log-format must be text or json");
  }
  if (c.data_dir.empty()) c.data_dir = netsnap::DefaultDataDir();
  NETSNAP_RETURN_IF_ERROR(netsnap::CheckConfig(c));
  *out = std::move(c);
  return netsnap::Status::OK();
}

// SIGHUP: re-reads the configuration; the old one stays on any error.
void Reload(const Flags& flags, const netsnap::Notifier& notifier, netsnap::Service* service,
            netsnap::ReloadState* state, bool* fatal) {
  notifier.Send("RELOADING=1\nMONOTONIC_USEC=" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch() /
                               std::chrono::microseconds(1)));
  netsnap::DaemonConfig next;
  netsnap::Status s = LoadEffectiveConfig(flags, &next);
  if (s.ok()) s = service->Reload(std::move(next));
  state->Record(s.ok(), s.ok() ? "" : s.message(), netsnap::NowNs());
  if (s.ok()) {
    spdlog::info("configuration reloaded");
  } else {
    spdlog::error("reload refused, the previous configuration stays: {}", s.message());
  }
  *fatal = s.code() == netsnap::Status::Code::kInternal;
  notifier.Send("READY=1\nSTATUS=" + std::string(s.ok() ? "" : "reload failed; ") +
                "sources: " + service->SourcesLine());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"snapshotd: versioned history and rollback of routes, rules and resolver rules"};
  Flags flags;
  std::string check_path;
  bool version = false;
  app.add_option("--config", flags.config_path,
                 "TOML configuration file (default: " + netsnap::DefaultConfigPath() +
                     " when it exists, else embedded)");
  app.add_option("--data-dir", flags.data_dir, "where the store lives (overrides the file)");
  app.add_option("--listen", flags.listen, "API address ADDR:PORT (overrides the file)");
  app.add_option("--socket", flags.socket,
                 "API Unix socket path, \"\" for none (overrides the file)");
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error, critical, off");
  app.add_option("--log-format", flags.log_format, "text or json");
  auto* check = app.add_option("--check-config", check_path,
                               "validate FILE (else the configuration --config names or the "
                               "default) and exit: 0 valid, 2 invalid")
                    ->expected(0, 1);
  app.add_flag("--version", version, "print the version and exit");
  std::string backup_out;
  auto* backup = app.add_subcommand(
      "backup",
      "make a verified online backup of the store into the new directory OUT (through "
      "the running daemon's socket when one answers) and exit");
  backup->add_option("OUT", backup_out, "the backup directory; must not exist")->required();
  backup->fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitInvalid;
  }
  flags.socket_set = app.count("--socket") > 0;
  if (version) {
    std::printf("snapshotd %s (%s)\n", NETSNAP_VERSION, NETSNAP_GIT_DESCRIBE);
    return 0;
  }
  if (check->count() && !check_path.empty()) flags.config_path = check_path;

  netsnap::DaemonConfig config;
  netsnap::Status s = LoadEffectiveConfig(flags, &config);
  if (!s.ok()) {
    std::fprintf(stderr, "snapshotd: %s\n", s.message().c_str());
    return kExitInvalid;
  }
  if (backup->parsed()) {
    umask(077);  // the copy is the history: as closed as the store
    return netsnap::RunBackupCommand(config, backup_out);
  }
  if (check->count()) {
    std::string path = ConfigPath(flags);
    std::printf("snapshotd: %s is valid: %s, data in %s\n",
                path.empty() ? "the embedded default" : path.c_str(),
                netsnap::ConfigSummary(config).c_str(), config.data_dir.c_str());
    return 0;
  }
  if (s = netsnap::SetUpLogging(config.log_level, config.log_format); !s.ok()) {
    std::fprintf(stderr, "snapshotd: %s\n", s.message().c_str());
    return kExitInvalid;
  }
  // The store, the socket and every file the daemon makes are its own (history is not for every
  // local user to read); the socket is then opened up to its group on purpose.
  umask(077);

  // Block the stop and reload signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const netsnap::Notifier notifier = netsnap::Notifier::FromEnvironment();
  netsnap::Service service(config);
  s = service.Start();
  if (!s.ok()) {
    spdlog::critical("cannot start: {}", s.ToString());
    return kExitFailure;
  }
  // A capture thread or the I/O loop that has not turned for this long is stuck: they turn at
  // least every second (Source::kAliveIntervalMs), and a slow commit may hold one a while.
  const int64_t stall_limit_ns =
      std::max<int64_t>(3'000'000'000, notifier.watchdog_usec() * 1000 / 2);
  netsnap::Watchdog watchdog(&notifier, [&] { return service.Stuck(stall_limit_ns); });
  watchdog.Start();
  spdlog::info("snapshotd ready: data in {}, API on {}", config.data_dir, config.listen);
  notifier.Send("READY=1\nSTATUS=sources: " + service.SourcesLine());

  int rc = 0;
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGHUP) {
      spdlog::info("stopping on signal {}", sig);
      break;
    }
    bool fatal = false;
    Reload(flags, notifier, &service, service.reload_state(), &fatal);
    if (fatal) {
      spdlog::critical("no configuration runs after the failed reload; exiting");
      rc = kExitFailure;
      break;
    }
  }
  notifier.Send("STOPPING=1");
  watchdog.Stop();
  service.Stop();
  return rc;
}
