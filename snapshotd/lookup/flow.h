// A flow to look up: the fields of `ip route get` that decide which rule and route serve it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "netsnap/route.h"

namespace netsnap::lookup {

struct Flow {
  Address dst;      // required
  Address src;      // family 0: unset (the kernel's rule walk then sees 0.0.0.0 / ::)
  std::string iif;  // empty: locally generated, which rules see as input interface "lo"
  std::string oif;  // empty: any
  uint32_t mark = 0;
  // The kernel uses the caller's uid for a locally generated flow (`ip route get` as root: 0)
  // and "no uid" (4294967295) for a forwarded one (iif set); unset follows that rule.
  std::optional<uint32_t> uid;
  uint8_t ipproto = 0;  // 0: any
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t tos = 0;

  uint32_t EffectiveUid() const { return uid ? *uid : (iif.empty() ? 0 : 0xffffffffu); }
};

}  // namespace netsnap::lookup
