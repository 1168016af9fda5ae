// snapshotd: keeps a versioned history of this host's network configuration and rolls it back.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "api/rollback_adapter.h"
#include "api/server.h"
#include "core/config.h"
#include "core/daemon.h"
#include "detect/detection.h"
#include "restore/rollback_manager.h"

namespace {

// Logs as one JSON object per line for log shippers.
void UseJsonLogs() {
  spdlog::set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"message":"%v"})",
      spdlog::pattern_time_type::utc);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"snapshotd: versioned history and rollback of routes, rules and resolver rules"};
  std::string config_path, data_dir, listen, log_level, log_format;
  app.add_option("--config", config_path, "TOML configuration file (default: embedded)");
  app.add_option("--data-dir", data_dir, "where the store lives (overrides the file)");
  app.add_option("--listen", listen, "API address ADDR:PORT (overrides the file)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_option("--log-format", log_format, "text or json");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_default_logger(spdlog::stderr_logger_mt("snapshotd"));
  netsnap::DaemonConfig config = netsnap::DefaultConfig();
  if (!config_path.empty()) {
    netsnap::Status s = netsnap::LoadConfig(config_path, &config);
    if (!s.ok()) {
      std::fprintf(stderr, "snapshotd: %s\n", s.message().c_str());
      return 2;
    }
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!listen.empty()) config.listen = listen;
  if (!log_level.empty()) config.log_level = log_level;
  if (!log_format.empty()) config.log_format = log_format;
  if (config.log_format == "json") {
    UseJsonLogs();
  } else if (config.log_format != "text") {
    std::fprintf(stderr, "snapshotd: --log-format must be text or json\n");
    return 2;
  }
  auto level = spdlog::level::from_str(config.log_level);
  if (level == spdlog::level::off && config.log_level != "off") {
    std::fprintf(stderr, "snapshotd: unknown log level '%s'\n", config.log_level.c_str());
    return 2;
  }
  spdlog::set_level(level);

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  netsnap::Daemon daemon(config);
  netsnap::Status s = daemon.Start();
  if (!s.ok()) {
    spdlog::critical("cannot start: {}", s.ToString());
    return 1;
  }
  netsnap::RollbackOptions rollback_options;
  rollback_options.guard.shrink_share = config.guard_shrink_share;
  rollback_options.guard.min_records = config.guard_min_records;
  netsnap::RollbackManager rollbacks(netsnap::RollbackDeps::Of(&daemon), rollback_options);
  s = rollbacks.Start();
  if (!s.ok()) {
    spdlog::critical("cannot start rollbacks: {}", s.ToString());
    daemon.Stop();
    return 1;
  }
  std::unique_ptr<netsnap::Detection> detection;
  s = netsnap::Detection::Create(&daemon, &rollbacks, config, &detection);
  if (!s.ok()) {
    spdlog::critical("cannot start detection: {}", s.ToString());
    rollbacks.Stop();
    daemon.Stop();
    return 2;
  }
  netsnap::api::ManagedRollbacks rollback_service(&rollbacks, daemon.store());
  netsnap::ApiOptions api_options;
  api_options.rollbacks = &rollback_service;
  api_options.detection = detection.get();
  api_options.listen = config.listen;
  api_options.threads = config.threads;
  api_options.token_file = config.token_file;
  std::unique_ptr<netsnap::ApiServer> api;
  s = netsnap::ApiServer::Start(&daemon, api_options, &api);
  if (!s.ok()) {
    spdlog::critical("cannot start the API: {}", s.ToString());
    daemon.Stop();
    return 1;
  }
  spdlog::info("snapshotd ready: data in {}, API on {}", config.data_dir, config.listen);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("stopping on signal {}", sig);
  api->Stop();
  detection->Stop();
  rollbacks.Stop();
  daemon.Stop();
  return 0;
}
