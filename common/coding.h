// Byte-level encoding helpers: varints, fixed-width big-endian integers (big-endian so that
// encoded keys sort in numeric order) and hex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace netsnap {

void PutVarint(std::string* dst, uint64_t v);
void PutFixed32BE(std::string* dst, uint32_t v);
void PutFixed64BE(std::string* dst, uint64_t v);
// A varint length followed by the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view s);

// Lowercase hex digits of the bytes of `b`.
std::string HexEncode(std::string_view b);
// The bytes `hex` spells (an even number of hex digits, either case); false otherwise.
bool HexDecode(std::string_view hex, std::string* out);

uint32_t DecodeFixed32BE(const char* p);
uint64_t DecodeFixed64BE(const char* p);

// Reads from the front of a byte string; every Get fails (returns false) rather than reading
// past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool GetVarint(uint64_t* v);
  bool GetVarint32(uint32_t* v);
  bool GetByte(uint8_t* v);
  bool GetFixed32BE(uint32_t* v);
  bool GetFixed64BE(uint64_t* v);
  bool GetBytes(size_t n, std::string_view* out);
  bool GetLengthPrefixed(std::string_view* out);
  bool empty() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }
  std::string_view rest() const { return in_; }

 private:
  std::string_view in_;
};

}  // namespace netsnap
