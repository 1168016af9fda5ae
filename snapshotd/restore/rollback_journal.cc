#include "restore/rollback_journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "common/coding.h"

namespace netsnap {

namespace {

const std::string kJournal = "rollback/";
const std::string kIdempotency = "rollback-idem/";
const std::string kNextId = "rollback-next";

// Journal keys sort by id: ids are zero-padded in the key.
std::string JournalKey(const std::string& id) {
  std::string pad(std::max<size_t>(0, 12 - std::min<size_t>(12, id.size())), '0');
  return kJournal + pad + id;
}

// The id a journal key or a "rollback-next" value holds; 0 when it holds none.
uint64_t ParseId(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() ? v : 0;
}

// An idempotency entry: {"id", "digest", "created_ns"}.
struct IdemEntry {
  std::string id, digest;
  int64_t created_ns = 0;
};

bool DecodeIdem(const std::string& text, IdemEntry* out) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  if (!o) return false;  // also entries from before keys had a digest: ignored, overwritten
  const auto* id = o->if_contains("id");
  const auto* digest = o->if_contains("digest");
  const auto* created = o->if_contains("created_ns");
  if (!id || !id->is_string() || !digest || !digest->is_string() || !created ||
      !created->is_int64()) {
    return false;
  }
  *out = {std::string(id->as_string()), std::string(digest->as_string()), created->as_int64()};
  return true;
}

}  // namespace

Status RollbackJournal::Open(std::vector<Rollback>* out) {
  std::string next;
  Status s = store_->GetMeta(kNextId, &next);
  if (!s.ok() && !s.IsNotFound()) return s.WithContext("rollback ids");
  uint64_t next_id = s.ok() ? ParseId(next) : 1;
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(store_->ListMeta(kJournal, &entries));
  out->clear();
  for (auto& [key, value] : entries) {
    // An id below one in the journal would overwrite that entry.
    next_id = std::max(next_id, ParseId(std::string_view(key).substr(kJournal.size())) + 1);
    Rollback rb;
    s = DecodeRollback(value, &rb);
    if (!s.ok()) {
      spdlog::error("rollback journal {}: {}", key, s.ToString());
      continue;
    }
    out->push_back(std::move(rb));
  }
  MutexLock l(&mu_);
  next_id_ = std::max<uint64_t>(next_id, 1);
  return Status::OK();
}

Status RollbackJournal::NextId(std::string* id) {
  MutexLock l(&mu_);
  NETSNAP_RETURN_IF_ERROR(store_->PutMeta(kNextId, std::to_string(next_id_ + 1)));
  *id = std::to_string(next_id_++);
  return Status::OK();
}

Status RollbackJournal::Save(const Rollback& rb) {
  return store_->PutMeta(JournalKey(rb.id), EncodeRollback(rb));
}

Status RollbackJournal::Load(const std::string& id, Rollback* out) {
  std::string v;
  Status s = store_->GetMeta(JournalKey(id), &v);
  if (s.IsNotFound()) return Status::NotFound("no rollback with id '" + id + "'");
  NETSNAP_RETURN_IF_ERROR(s);
  return DecodeRollback(v, out);
}

Status RollbackJournal::List(size_t limit, std::vector<Rollback>* out) {
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(store_->ListMeta(kJournal, &entries));
  out->clear();
  for (auto it = entries.rbegin(); it != entries.rend() && out->size() < limit; ++it) {
    Rollback rb;
    if (DecodeRollback(it->second, &rb).ok()) out->push_back(std::move(rb));
  }
  return Status::OK();
}

Status RollbackJournal::JournalIntent(const Rollback& rb) {
  std::string why = "rollback " + rb.id;
  NETSNAP_RETURN_IF_ERROR(store_->Pin(rb.source, rb.pre_version, why));
  Status s = store_->Pin(rb.source, rb.target_version, why);
  if (s.ok()) s = Save(rb);
  if (!s.ok()) {
    for (uint64_t v : {rb.pre_version, rb.target_version}) {
      Status u = store_->Unpin(rb.source, v);
      if (!u.ok()) spdlog::error("rollback {}: cannot unpin v{}: {}", rb.id, v, u.ToString());
    }
  }
  return s;
}

void RollbackJournal::Unpin(const Rollback& rb) {
  for (uint64_t v : {rb.pre_version, rb.target_version}) {
    if (v == 0) continue;  // a dry run pins nothing
    Status s = store_->Unpin(rb.source, v);
    // Only retention is affected (the version is kept longer); the rollback stands.
    if (!s.ok()) spdlog::error("rollback {}: cannot unpin v{}: {}", rb.id, v, s.ToString());
  }
}

RollbackJournal::IdempotencySlot RollbackJournal::SlotOf(const RollbackRequest& req) {
  // The owner in hex: any bytes.
  const std::string& owner = req.principal.empty() ? req.actor : req.principal;
  return {kIdempotency + req.source + "/" + HexEncode(owner) + "/" + req.idempotency_key,
          RequestDigest(req)};
}

Status RollbackJournal::FindIdempotent(const RollbackRequest& req, const IdempotencySlot& slot,
                                       Rollback* out, bool* found) {
  *found = false;
  std::string value;
  Status s = store_->GetMeta(slot.store_key, &value);
  if (s.IsNotFound()) return Status::OK();
  NETSNAP_RETURN_IF_ERROR(s.WithContext("Idempotency-Key"));
  IdemEntry e;
  if (!DecodeIdem(value, &e) || clock_->NowNs() - e.created_ns >= kIdempotencyTtlNs) {
    return Status::OK();  // unreadable or expired: the key is free again
  }
  if (e.digest != slot.digest) return IdempotencyMismatch(req.idempotency_key);
  NETSNAP_RETURN_IF_ERROR(Load(e.id, out));
  *found = true;
  return Status::OK();
}

void RollbackJournal::RememberIdempotent(const IdempotencySlot& slot, const Rollback& rb) {
  boost::json::object o;
  o["id"] = rb.id;
  o["digest"] = slot.digest;
  o["created_ns"] = rb.created_ns;
  Status s = store_->PutMeta(slot.store_key, boost::json::serialize(o));
  if (!s.ok()) {
    spdlog::error("rollback {}: cannot store its Idempotency-Key ({}); a retry would run again",
                  rb.id, s.ToString());
  }
}

Status RollbackJournal::ExpiredKeys(Store* store, int64_t now_ns, std::vector<std::string>* out) {
  std::vector<std::pair<std::string, std::string>> entries;
  NETSNAP_RETURN_IF_ERROR(store->ListMeta(kIdempotency, &entries));
  out->clear();
  for (const auto& [key, value] : entries) {
    IdemEntry e;
    if (!DecodeIdem(value, &e) || now_ns - e.created_ns >= kIdempotencyTtlNs) out->push_back(key);
  }
  return Status::OK();
}

Status RollbackJournal::RemoveExpiredKeys(Store* store, int64_t now_ns, size_t* removed) {
  std::vector<std::string> keys;
  NETSNAP_RETURN_IF_ERROR(ExpiredKeys(store, now_ns, &keys));
  *removed = 0;
  for (const std::string& k : keys) {
    NETSNAP_RETURN_IF_ERROR(store->DeleteMeta(k));
    ++*removed;
  }
  return Status::OK();
}

}  // namespace netsnap
