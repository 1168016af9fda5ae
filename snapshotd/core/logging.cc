#include "core/logging.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "core/log_sinks.h"

namespace netsnap {

namespace {

constexpr char kJournalSocket[] = "/run/systemd/journal/socket";

}  // namespace

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  uintmax_t dev = 0, ino = 0;
  char extra = 0;
  if (std::sscanf(stream, "%ju:%ju%c", &dev, &ino, &extra) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<uintmax_t>(st.st_dev) == dev && static_cast<uintmax_t>(st.st_ino) == ino;
}

Status SetUpLogging(const std::string& level, const std::string& format) {
  spdlog::level::level_enum lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    return Status::InvalidArgument("unknown log level '" + level +
                                   "': use trace, debug, info, warn, error, critical or off");
  }
  if (format != "text" && format != "json") {
    return Status::InvalidArgument("unknown log format '" + format + "': use text or json");
  }
  spdlog::sink_ptr sink;
  if (StderrIsJournal()) {
    sink = std::make_shared<JournalSink>(kJournalSocket, "snapshotd");
  } else {
    sink = std::make_shared<LineSink>(
        STDERR_FILENO, format == "json" ? LineSink::Format::kJson : LineSink::Format::kText);
  }
  auto logger = std::make_shared<spdlog::logger>("snapshotd", std::move(sink));
  logger->set_level(lvl);
  spdlog::set_default_logger(std::move(logger));
  return Status::OK();
}

void LogEvent(spdlog::level::level_enum level, LogFields fields, std::string_view message) {
  ScopedLogFields scope(fields);
  spdlog::log(level, "{}", message);
}

}  // namespace netsnap
