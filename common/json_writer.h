// Writes JSON text straight into a string, byte for byte as boost::json::serialize writes the
// same value (keys in the order written, strings escaped as it escapes them, integers in
// decimal). For answers of a hundred thousand records: building a boost::json::object per
// record and serializing it costs about five times the writing (most of it allocations).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace netsnap {

// Appends `s` as a JSON string: '"', '\\' and control characters escaped as Boost.JSON does
// ("\n", "\u001f"); other bytes, UTF-8 or not, as they are.
void AppendJsonString(std::string_view s, std::string* out);

// Commas go in by themselves: a key or a value that follows another value gets one. The caller
// keeps objects and arrays balanced and gives every key a value.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view name);
  void String(std::string_view s);
  void Uint(uint64_t v);
  void Null();

 private:
  void Comma() {
    if (need_comma_) out_->push_back(',');
  }
  void Open(char c) {
    Comma();
    out_->push_back(c);
    need_comma_ = false;
  }
  void Close(char c) {
    out_->push_back(c);
    need_comma_ = true;
  }

  std::string* out_;
  bool need_comma_ = false;  // the last thing written was a value
};

}  // namespace netsnap
