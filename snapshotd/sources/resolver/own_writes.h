// What the resolver source's Apply wrote, so that a capture can tell the daemon's own file
// writes from others' by fact (Writer, source.h): a file whose record (content, mode, owner,
// link) is exactly what Apply last wrote at that path — or that is gone where Apply removed it —
// is the daemon's; any other change is someone else's.
//
// A capture is the daemon's when every file it changes is, and someone else's when any file
// is (a capture holding both is inspected whole: the resolver re-reads whole files and cannot
// split them). A write stays expected until a capture sees it, or until the next Apply begins.
// Thread-safe: Apply runs on the rollback's thread, captures on the source's.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/mutex.h"
#include "netsnap/record.h"
#include "netsnap/source.h"

namespace netsnap {

class OwnWrites {
 public:
  // A new Apply: forgets what earlier ones wrote.
  void Begin() EXCLUDES(mu_);
  // Apply made the file record `key` hold `value` (nullopt: removed the file).
  void Wrote(const std::string& key, std::optional<std::string> value) EXCLUDES(mu_);
  // Whose changes turn `before` into `after` (the last delivery and the capture about to be
  // delivered); the writes the capture shows are no longer expected.
  Writer Judge(const Snapshot& before, const Snapshot& after) EXCLUDES(mu_);

 private:
  Mutex mu_;
  std::map<std::string, std::optional<std::string>> expected_ GUARDED_BY(mu_);
};

}  // namespace netsnap
