// One reading pass over a resolver's configuration: the files read (each becomes a kFile
// record), the rules and settings parsed from them, and the problems found. Parsers feed it;
// it enforces the limits that keep hostile input from exhausting memory or time.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/resolver.h"
#include "sources/resolver/file_tree.h"

namespace netsnap {

struct ReadLimits {
  size_t max_file_bytes = 16u << 20;   // larger files are versioned without content
  size_t max_total_bytes = 64u << 20;  // over all files of one pass
  size_t max_files = 256;
  size_t max_depth = 16;              // nested includes
  size_t max_line_bytes = 64u << 10;  // longer lines are reported and skipped
};

class ConfigSet {
 public:
  // Every file is read through `tree`, which must outlive the set.
  ConfigSet(const FileTree* tree, ReadLimits limits);

  // Reads `path` and adds its kFile record (once per path; the path is watched either way).
  // Returns the file to parse, or nullptr when there is nothing to parse; then *why says why
  // ("No such file or directory", "already read", the file's own error, a limit).
  const ConfigFile* Read(const std::string& path, std::string* why);

  // Calls fn for every line of the file (line numbers from 1, trailing "\r" removed). Lines
  // with control bytes or longer than the limit are reported as errors and skipped.
  void ForEachLine(const ConfigFile& file,
                   const std::function<void(size_t line, std::string_view text)>& fn);

  // Records a problem in a file already read; line 0 means the whole file. The first problem
  // is kept in the file's record, with a count of the others.
  void Error(const std::string& path, size_t line, std::string_view what);

  // Adds a rule; a rule for a domain already seen is merged (targets appended in order).
  void AddRule(ResolverRule rule);
  // Sets (replace) or extends (append) a setting.
  void SetSetting(const std::string& name, std::vector<std::string> values,
                  const std::string& origin, bool append);
  // Removes a rule, for formats where a later assignment resets an earlier one.
  void RemoveRule(const std::string& domain);

  // Includes: Enter returns false (with *why) when the nesting limit is reached.
  bool EnterInclude(std::string* why);
  void LeaveInclude() { --depth_; }

  // A folder whose entries all matter (conf-dir, drop-in folders).
  void WatchFolder(const std::string& dir) { dirs_.insert(dir); }

  // Every file path read or looked for, and every folder listed: what to watch.
  std::vector<std::string> watched_files() const { return {watch_.begin(), watch_.end()}; }
  std::vector<std::string> watched_folders() const { return {dirs_.begin(), dirs_.end()}; }

  const ReadLimits& limits() const { return limits_; }
  const FileTree& tree() const { return *tree_; }

  // The records of the pass.
  Status Finish(Snapshot* out) const;

 private:
  struct FileEntry {
    ConfigFile file;
    size_t errors = 0;
  };
  const FileTree* tree_;
  ReadLimits limits_;
  size_t total_bytes_ = 0;
  size_t depth_ = 0;
  std::map<std::string, FileEntry> files_;
  std::map<std::string, ResolverRule> rules_;
  std::map<std::string, ResolverSetting> settings_;
  std::set<std::string> watch_;
  std::set<std::string> dirs_;
};

// Lower-case, without a trailing dot (except the root, "."); "" stays "".
std::string NormalizeDomain(std::string_view domain);

// Splits on spaces and tabs, dropping empty pieces.
std::vector<std::string_view> SplitWords(std::string_view s);
std::string_view Trim(std::string_view s);

}  // namespace netsnap
