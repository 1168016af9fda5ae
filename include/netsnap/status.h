// Status: the result of an operation that can fail, carried across module borders instead of
// exceptions. A Status is either OK or holds a code and a message meant for a person.
// [[nodiscard]]: dropping one is a compile error; a deliberate drop is `(void)` with a reason.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace netsnap {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,         // the thing named does not exist
    kInvalidArgument,  // the caller's input is wrong
    kCorruption,       // stored data fails its checks
    kIOError,          // the OS or RocksDB failed
    kConflict,         // the state changed or is busy; retrying may help
    kRefused,          // a safety guard declined; an override exists
    kUnavailable,      // a dependency is not ready
    kInternal,         // a bug
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status Refused(std::string msg) { return Status(Code::kRefused, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // A short stable name for the code ("not_found", "invalid_argument", ...), used in API errors.
  std::string_view CodeName() const;
  // "code: message", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Returns early from the calling function when `expr` yields a non-OK Status.
#define NETSNAP_RETURN_IF_ERROR(expr) \
  do {                                \
    ::netsnap::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)

}  // namespace netsnap
