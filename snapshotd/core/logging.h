// The daemon's log: where records go and how they look, set up once from the configuration.
//
// Under journald (stderr is the stream systemd named in JOURNAL_STREAM) records go to the journal
// with a syslog priority and the fields SOURCE= and EVENT=, and journald adds the only timestamp.
// Elsewhere they are lines on stderr, "text" (control characters escaped) or "json" (one valid
// JSON object per line, whatever the message holds).
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

#include "core/log_format.h"
#include "netsnap/status.h"

namespace netsnap {

// Makes the default spdlog logger write as described above, at `level` ("trace", "debug",
// "info", "warn", "error", "critical", "off") and in `format` ("text" or "json"; ignored under
// journald). InvalidArgument names a bad value; the previous set-up then stays.
Status SetUpLogging(const std::string& level, const std::string& format);

// True when stderr is the journal stream that systemd describes in JOURNAL_STREAM
// ("DEVICE:INODE" of the stream, compared with fstat of fd 2), as systemd.exec(5) documents.
bool StderrIsJournal();

// Logs `message` with structured fields (JSON keys "source"/"event", journal SOURCE=/EVENT=,
// text source="..." event="..."). Use it for every record that names a source or an event, above
// all names taken from requests.
void LogEvent(spdlog::level::level_enum level, LogFields fields, std::string_view message);

}  // namespace netsnap
