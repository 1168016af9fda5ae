#include "store/version_codec.h"

#include <cstring>

#include "common/coding.h"

namespace netsnap::store {

namespace {
constexpr uint8_t kHeaderFormat = 1;

uint64_t FlipSign(int64_t t) { return static_cast<uint64_t>(t) ^ (uint64_t{1} << 63); }
int64_t UnflipSign(uint64_t u) { return static_cast<int64_t>(u ^ (uint64_t{1} << 63)); }
}  // namespace

std::string EncodeHeader(const VersionHeader& h) {
  std::string s;
  s.reserve(96 + h.actor.cmdline.size() + h.note.size());
  s.push_back(static_cast<char>(kHeaderFormat));
  PutVarint(&s, h.version);
  PutFixed64BE(&s, static_cast<uint64_t>(h.time_ns));
  PutFixed64BE(&s, static_cast<uint64_t>(h.last_seen_ns));
  s.push_back(static_cast<char>(h.cause));
  PutFixed64BE(&s, h.hash.hi);
  PutFixed64BE(&s, h.hash.lo);
  PutVarint(&s, h.records);
  PutVarint(&s, h.diff.added);
  PutVarint(&s, h.diff.removed);
  PutVarint(&s, h.diff.changed);
  PutVarint(&s, static_cast<uint32_t>(h.actor.pid));
  PutLengthPrefixed(&s, h.actor.process);
  PutLengthPrefixed(&s, h.actor.cmdline);
  PutLengthPrefixed(&s, h.note);
  return s;
}

Status DecodeHeader(std::string_view in, VersionHeader* out) {
  Reader r(in);
  VersionHeader h;
  uint8_t format, cause;
  uint64_t t, seen;
  uint32_t pid;
  std::string_view proc, cmd, note;
  if (!r.GetByte(&format) || format != kHeaderFormat || !r.GetVarint(&h.version) ||
      !r.GetFixed64BE(&t) || !r.GetFixed64BE(&seen) || !r.GetByte(&cause) ||
      !r.GetFixed64BE(&h.hash.hi) || !r.GetFixed64BE(&h.hash.lo) || !r.GetVarint(&h.records) ||
      !r.GetVarint(&h.diff.added) || !r.GetVarint(&h.diff.removed) ||
      !r.GetVarint(&h.diff.changed) || !r.GetVarint32(&pid) || !r.GetLengthPrefixed(&proc) ||
      !r.GetLengthPrefixed(&cmd) || !r.GetLengthPrefixed(&note) || !r.empty()) {
    return Status::Corruption("version header does not decode");
  }
  h.time_ns = static_cast<int64_t>(t);
  h.last_seen_ns = static_cast<int64_t>(seen);
  h.cause = static_cast<Cause>(cause);
  h.actor.pid = static_cast<int32_t>(pid);
  h.actor.process.assign(proc);
  h.actor.cmdline.assign(cmd);
  h.note.assign(note);
  *out = std::move(h);
  return Status::OK();
}

std::string SidPrefix(uint32_t sid) {
  std::string k;
  PutFixed32BE(&k, sid);
  return k;
}

std::string VersionKey(uint32_t sid, uint64_t version) {
  std::string k;
  k.reserve(12);
  PutFixed32BE(&k, sid);
  PutFixed64BE(&k, version);
  return k;
}

bool ParseVersionKey(std::string_view key, uint32_t* sid, uint64_t* version) {
  if (key.size() != 12) return false;
  *sid = DecodeFixed32BE(key.data());
  *version = DecodeFixed64BE(key.data() + 4);
  return true;
}

std::string TimeKey(uint32_t sid, int64_t time_ns, uint64_t version) {
  std::string k;
  k.reserve(20);
  PutFixed32BE(&k, sid);
  PutFixed64BE(&k, FlipSign(time_ns));
  PutFixed64BE(&k, version);
  return k;
}

bool ParseTimeKey(std::string_view key, uint32_t* sid, int64_t* time_ns, uint64_t* version) {
  if (key.size() != 20) return false;
  *sid = DecodeFixed32BE(key.data());
  *time_ns = UnflipSign(DecodeFixed64BE(key.data() + 4));
  *version = DecodeFixed64BE(key.data() + 12);
  return true;
}

std::string EventKey(uint64_t id) {
  std::string k;
  PutFixed64BE(&k, id);
  return k;
}

std::string LogFromKey(uint32_t sid) { return "logfrom/" + SidPrefix(sid); }

std::string LogFromValue(uint64_t version) {
  std::string v;
  PutFixed64BE(&v, version);
  return v;
}

}  // namespace netsnap::store
