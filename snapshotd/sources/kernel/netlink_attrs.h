// Range-for over netlink attributes (libmnl's iteration macros do not compile as C++):
//   for (const nlattr* a : Attrs(nlh, sizeof(rtmsg))) ...
//   for (const nlattr* a : Nested(nest)) ...
#pragma once

#include <libmnl/libmnl.h>

#include <cstddef>

namespace netsnap::kernel {

class AttrRange {
 public:
  class Iterator {
   public:
    Iterator(const nlattr* a, int left) : a_(a), left_(left) { Check(); }
    const nlattr* operator*() const { return a_; }
    Iterator& operator++() {
      left_ -= static_cast<int>(MNL_ALIGN(a_->nla_len));
      a_ = mnl_attr_next(a_);
      Check();
      return *this;
    }
    bool operator!=(const Iterator& o) const { return a_ != o.a_; }

   private:
    void Check() {
      if (!a_ || !mnl_attr_ok(a_, left_)) a_ = nullptr;
    }
    const nlattr* a_;
    int left_;
  };

  AttrRange(const void* start, const void* end)
      : start_(static_cast<const nlattr*>(start)),
        len_(static_cast<int>(static_cast<const char*>(end) - static_cast<const char*>(start))) {}
  Iterator begin() const { return Iterator(len_ > 0 ? start_ : nullptr, len_); }
  Iterator end() const { return Iterator(nullptr, 0); }

 private:
  const nlattr* start_;
  int len_;
};

// The attributes of a message after its family header of `offset` bytes.
inline AttrRange Attrs(const nlmsghdr* nlh, size_t offset) {
  return AttrRange(mnl_nlmsg_get_payload_offset(nlh, offset), mnl_nlmsg_get_payload_tail(nlh));
}

// The attributes nested in `nest`.
inline AttrRange Nested(const nlattr* nest) {
  const char* p = static_cast<const char*>(mnl_attr_get_payload(nest));
  return AttrRange(p, p + mnl_attr_get_payload_len(nest));
}

}  // namespace netsnap::kernel
