#include "detect/finding.h"

#include <algorithm>
#include <boost/json.hpp>

#include "common/render.h"

namespace netsnap {

boost::json::object ActorToJson(const Actor& a) {
  boost::json::object o;
  o["pid"] = a.pid;
  o["process"] = a.process;
  o["cmdline"] = a.cmdline;
  return o;
}

boost::json::object FindingToJson(const Finding& f) {
  boost::json::object o;
  o["kind"] = f.kind;
  o["summary"] = f.summary;
  boost::json::array records;
  uint64_t added = 0, removed = 0, changed = 0, unchanged = 0;
  for (const DamagedRecord& r : f.records) {
    bool same = r.before && r.after && *r.before == *r.after;
    const char* change = !r.before  ? "added"
                         : !r.after ? "removed"
                         : same     ? "unchanged"
                                    : "changed";
    (!r.before ? added : !r.after ? removed : same ? unchanged : changed) += 1;
    if (records.size() >= kMaxEventRecords) continue;
    const std::string& value = r.after ? *r.after : *r.before;
    boost::json::object rec = RecordToJson({r.key, value});
    rec["change"] = change;
    if (r.before && r.after && !same) rec["previous"] = RecordToJson({r.key, *r.before});
    records.push_back(std::move(rec));
  }
  o["records"] = std::move(records);
  o["counts"] = {{"records", f.records.size()}, {"added", added},
                 {"removed", removed},          {"changed", changed},
                 {"unchanged", unchanged},      {"restore", f.restore_keys.size()}};
  o["truncated"] = f.records.size() > kMaxEventRecords;
  o["versions"] = {{"before", f.before_version}, {"after", f.after_version}};
  o["actor"] = ActorToJson(f.actor);
  for (const auto& [k, v] : f.details) {
    if (!o.contains(k)) o[k] = v;
  }
  return o;
}

void SortUnique(std::vector<std::string>* keys) {
  std::sort(keys->begin(), keys->end());
  keys->erase(std::unique(keys->begin(), keys->end()), keys->end());
}

}  // namespace netsnap
