// Encoding of a version's content: a checkpoint (the whole snapshot) or a delta against a base
// version. Keys are prefix-compressed against the previous key, then the whole payload is
// compressed with zstd.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netsnap/record.h"
#include "netsnap/status.h"

namespace netsnap::store {

struct ContentMeta {
  bool checkpoint = true;
  uint64_t base = 0;              // the version a delta applies to; 0 for a checkpoint
  uint32_t chain = 0;             // deltas between this version and its checkpoint
  uint64_t since_checkpoint = 0;  // changed records summed over those deltas
};

std::string EncodeCheckpoint(const Snapshot& snap, const ContentMeta& meta, int zstd_level);
std::string EncodeDelta(const Delta& delta, const ContentMeta& meta, int zstd_level);

// Reads only the meta part (cheap: no decompression).
Status DecodeContentMeta(std::string_view in, ContentMeta* meta);
// Decodes a checkpoint into `snap`, or a delta into `delta`, as meta says.
Status DecodeContent(std::string_view in, ContentMeta* meta, Snapshot* snap, Delta* delta);

}  // namespace netsnap::store
