// RocksStore's read of the key log (keylog.h).
#include "store/keylog.h"
#include "store/rocks_store.h"

namespace netsnap::store {

Status RocksStore::KeyHistory(const std::string& source, const KeyHistoryQuery& query,
                              std::vector<KeyChange>* out, bool* truncated) {
  uint32_t sid;
  NETSNAP_RETURN_IF_ERROR(SourceId(source, false, &sid));
  return ReadKeyLog(db_.get(), keylog_, sid, query, out, truncated);
}

}  // namespace netsnap::store
