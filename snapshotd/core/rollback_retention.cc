#include "core/rollback_retention.h"

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace netsnap {

namespace {

const std::string kJournal = "rollback/";

// Whether the entry is a finished rollback last changed before `before_ns`.
bool Expired(const std::string& value, int64_t before_ns) {
  static const std::set<std::string> kFinished = {"planned", "applied", "confirmed", "reverted",
                                                  "failed"};
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(value, ec);
  if (ec || !v.is_object()) return false;
  const boost::json::object& o = v.as_object();
  const boost::json::value* state = o.if_contains("state");
  const boost::json::value* updated = o.if_contains("updated_ns");
  if (!state || !state->is_string() || !updated || !updated->is_int64()) return false;
  return kFinished.count(std::string(state->as_string())) && updated->as_int64() < before_ns;
}

}  // namespace

Status PruneRollbackJournal(Store* store, int64_t before_ns, uint64_t* removed) {
  *removed = 0;
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(store->ListMeta(kJournal, &entries));
  for (const auto& [key, value] : entries) {
    if (!Expired(value, before_ns)) continue;
    NETSNAP_RETURN_IF_ERROR(store->DeleteMeta(key));
    ++*removed;
  }
  return Status::OK();
}

}  // namespace netsnap
