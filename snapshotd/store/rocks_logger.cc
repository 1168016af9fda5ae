#include "store/rocks_logger.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string_view>

namespace netsnap::store {

namespace {

class DaemonLogger : public rocksdb::Logger {
 public:
  DaemonLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    // HEADER_LEVEL (the options dump at open) sorts above FATAL_LEVEL but is informational.
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    // RocksDB's lines are short; a longer one is cut, never allocated for.
    char line[1024];
    int n = vsnprintf(line, sizeof line, format, ap);
    if (n < 0) return;
    size_t len = std::min(static_cast<size_t>(n), sizeof line - 1);
    while (len > 0 && line[len - 1] == '\n') --len;
    std::string_view text(line, len);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("rocksdb: {}", text);
    } else {
      spdlog::warn("rocksdb: {}", text);
    }
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewDaemonLogger() { return std::make_shared<DaemonLogger>(); }

void UseDaemonInfoLog(rocksdb::DBOptions* options) {
  options->info_log = NewDaemonLogger();
  options->max_log_file_size = kInfoLogFileBytes;
  options->keep_log_file_num = kInfoLogFiles;
}

}  // namespace netsnap::store
