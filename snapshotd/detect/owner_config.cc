#include "detect/owner_config.h"

#include <toml++/toml.h>

#include <set>

#include "sources/kernel/rt_protos.h"

namespace netsnap {

namespace {

constexpr size_t kMaxProcesses = 64;
constexpr size_t kMaxProcessName = 255;

std::string Where(const std::string& origin, const toml::node& n) {
  return origin + ":" + std::to_string(n.source().begin.line) + ": ";
}

Status ParseOne(const toml::table& t, const std::string& origin, RouteProtocols* p,
                std::set<uint8_t>* seen) {
  for (const auto& [k, v] : t) {
    if (k.str() != "protocol" && k.str() != "processes") {
      return Status::InvalidArgument(Where(origin, v) + "[[owner]]: '" + std::string(k.str()) +
                                     "' is not an owner key (protocol, processes)");
    }
  }
  const toml::node* proto = t.get("protocol");
  const std::string where = Where(origin, proto ? *proto : t);
  std::optional<uint8_t> number;
  if (proto && proto->is_string()) {
    number = p->Number(**proto->as_string());
  } else if (proto && proto->is_integer() && **proto->as_integer() >= 0 &&
             **proto->as_integer() <= 255) {
    number = static_cast<uint8_t>(**proto->as_integer());
  }
  if (!number) {
    return Status::InvalidArgument(
        where + "[[owner]]: 'protocol' must be a protocol name from rt_protos or a number 0-255");
  }
  if (!seen->insert(*number).second) {
    return Status::InvalidArgument(where + "two [[owner]] tables for protocol " + p->Name(*number));
  }
  const toml::node* procs = t.get("processes");
  const std::string at = Where(origin, procs ? *procs : t);
  const toml::array* a = procs ? procs->as_array() : nullptr;
  if (!a || a->size() > kMaxProcesses) {
    return Status::InvalidArgument(at + "[[owner]]: 'processes' must be an array of at most " +
                                   std::to_string(kMaxProcesses) + " process names");
  }
  std::vector<std::string> names;
  for (const toml::node& e : *a) {
    const auto* s = e.as_string();
    if (!s || s->get().empty() || s->get().size() > kMaxProcessName ||
        s->get().find('/') != std::string::npos) {
      return Status::InvalidArgument(at +
                                     "[[owner]]: 'processes' must hold process names (comm), "
                                     "non-empty and without '/'");
    }
    names.push_back(s->get());
  }
  p->owners[*number] = std::move(names);
  return Status::OK();
}

}  // namespace

Status ParseOwners(const toml::table* doc, const std::string& origin,
                   const std::string& iproute2_dir, RouteProtocols* out) {
  RouteProtocols p = RouteProtocols::BuiltIn();
  NETSNAP_RETURN_IF_ERROR(kernel::LoadRtProtos(iproute2_dir, &p));
  const toml::node* node = doc ? doc->get("owner") : nullptr;
  if (node) {
    if (!node->is_array_of_tables()) {
      return Status::InvalidArgument(Where(origin, *node) + "owners are [[owner]] tables");
    }
    std::set<uint8_t> seen;
    for (const toml::node& n : *node->as_array()) {
      NETSNAP_RETURN_IF_ERROR(ParseOne(*n.as_table(), origin, &p, &seen));
    }
  }
  *out = std::move(p);
  return Status::OK();
}

}  // namespace netsnap
