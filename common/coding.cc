#include "coding.h"

namespace netsnap {

std::string HexEncode(std::string_view b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (unsigned char c : b) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

bool HexDecode(std::string_view hex, std::string* out) {
  auto digit = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  if (hex.size() % 2) return false;
  out->clear();
  out->reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int a = digit(hex[i]), b = digit(hex[i + 1]);
    if (a < 0 || b < 0) return false;
    out->push_back(static_cast<char>(a * 16 + b));
  }
  return true;
}

void PutVarint(std::string* dst, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

void PutFixed32BE(std::string* dst, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  dst->append(b, 4);
}

void PutFixed64BE(std::string* dst, uint64_t v) {
  PutFixed32BE(dst, static_cast<uint32_t>(v >> 32));
  PutFixed32BE(dst, static_cast<uint32_t>(v));
}

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint(dst, s.size());
  dst->append(s);
}

uint32_t DecodeFixed32BE(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

uint64_t DecodeFixed64BE(const char* p) {
  return (uint64_t{DecodeFixed32BE(p)} << 32) | DecodeFixed32BE(p + 4);
}

bool Reader::GetVarint(uint64_t* v) {
  uint64_t result = 0;
  for (unsigned shift = 0, i = 0; shift <= 63 && i < in_.size(); shift += 7, ++i) {
    uint64_t byte = static_cast<unsigned char>(in_[i]);
    result |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      in_.remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

bool Reader::GetVarint32(uint32_t* v) {
  uint64_t x;
  if (!GetVarint(&x) || x > UINT32_MAX) return false;
  *v = static_cast<uint32_t>(x);
  return true;
}

bool Reader::GetByte(uint8_t* v) {
  if (in_.empty()) return false;
  *v = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return true;
}

bool Reader::GetFixed32BE(uint32_t* v) {
  if (in_.size() < 4) return false;
  *v = DecodeFixed32BE(in_.data());
  in_.remove_prefix(4);
  return true;
}

bool Reader::GetFixed64BE(uint64_t* v) {
  if (in_.size() < 8) return false;
  *v = DecodeFixed64BE(in_.data());
  in_.remove_prefix(8);
  return true;
}

bool Reader::GetBytes(size_t n, std::string_view* out) {
  if (in_.size() < n) return false;
  *out = in_.substr(0, n);
  in_.remove_prefix(n);
  return true;
}

bool Reader::GetLengthPrefixed(std::string_view* out) {
  uint64_t n;
  return GetVarint(&n) && n <= in_.size() && GetBytes(static_cast<size_t>(n), out);
}

}  // namespace netsnap
