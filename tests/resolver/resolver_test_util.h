// Helpers shared by the resolver tests: writing files, reading a configuration in one pass,
// looking records up, and a CaptureSink that records deliveries.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "netsnap/resolver.h"
#include "netsnap/source.h"
#include "sources/resolver/resolver_reader.h"

namespace netsnap::testing {

// Writes content to path (truncating), with the given mode.
void WriteFile(const std::string& path, const std::string& content, unsigned mode = 0644);
// Writes to path.tmp and renames it over path.
void ReplaceFile(const std::string& path, const std::string& content);
std::string ReadFileBytes(const std::string& path);

// One reading pass with `roots` as the read roots (none given: the folder holding `path`);
// fails the test on a Status error.
Snapshot ReadPass(ResolverFormat format, const std::string& path, const ReadLimits& limits = {},
                  std::vector<std::string> roots = {});

std::map<std::string, ResolverRule> Rules(const Snapshot& s);
std::map<std::string, ResolverSetting> Settings(const Snapshot& s);
std::map<std::string, ConfigFile> Files(const Snapshot& s);

// "10.0.0.2", "10.0.0.2#5353" for each target.
std::vector<std::string> Targets(const ResolverRule& r);

struct Delivery {
  Snapshot snapshot;
  Cause cause;
  Writer writer = Writer::kOther;
};

class RecordingSink : public CaptureSink {
 public:
  void OnSnapshot(Snapshot snapshot, Cause cause, const Actor& actor, int64_t time_ns,
                  Writer writer) override;
  void OnChanges(Delta changes, Cause cause, const Actor& actor, int64_t time_ns,
                 Writer writer) override;
  void OnError(const Status& error) override;
  void Count(std::string_view counter, uint64_t n) override;
  void OnWarnings(std::vector<SourceWarning> warnings) override;

  // Waits up to timeout_ms until at least n deliveries were made; returns whether they were.
  bool WaitFor(size_t n, int timeout_ms);
  std::vector<Delivery> deliveries();
  size_t size();
  std::vector<std::string> errors();
  // The warnings reported last.
  std::vector<SourceWarning> warnings();
  int deltas();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Delivery> deliveries_;
  std::vector<std::string> errors_;
  std::vector<SourceWarning> warnings_;
  int deltas_ = 0;
};

// Builds a source from TOML text (one [[source]] table); fails the test on errors.
std::unique_ptr<Source> MakeSource(const std::string& toml_text);

}  // namespace netsnap::testing
