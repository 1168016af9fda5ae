#include "sources/resolver/own_writes.h"

#include <vector>

namespace netsnap {

void OwnWrites::Begin() {
  MutexLock l(&mu_);
  expected_.clear();
}

void OwnWrites::Wrote(const std::string& key, std::optional<std::string> value) {
  MutexLock l(&mu_);
  expected_[key] = std::move(value);
}

Writer OwnWrites::Judge(const Snapshot& before, const Snapshot& after) {
  MutexLock l(&mu_);
  if (expected_.empty()) return Writer::kOther;
  bool own = false, other = false;
  std::vector<std::string> seen;
  for (const Change& c : ComputeDelta(before, after)) {
    if (KindOfKey(c.key) != RecordKind::kFile) continue;  // derived from the files
    auto it = expected_.find(c.key);
    if (it != expected_.end() && it->second == c.value) {
      own = true;
      seen.push_back(c.key);
    } else {
      other = true;
    }
  }
  for (const std::string& key : seen) expected_.erase(key);
  return own && !other ? Writer::kDaemon : Writer::kOther;
}

}  // namespace netsnap
