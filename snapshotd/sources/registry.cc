#include "sources/registry.h"

#include <string>

#include "sources/kernel/kernel_source.h"
#include "sources/resolver/resolver_source.h"

namespace netsnap {

namespace {

struct Kind {
  std::string_view name;
  SourceFactory factory;
};

// One line per kind of source.
constexpr Kind kKinds[] = {
    {"kernel", &NewKernelSource},
    {"resolver", &NewResolverSource},
};

}  // namespace

Status NewSource(const SourceSpec& spec, std::unique_ptr<Source>* out) {
  for (const Kind& k : kKinds) {
    if (k.factory && k.name == spec.kind) return k.factory(spec, out);
  }
  std::string known;
  for (std::string_view k : SourceKinds()) known += (known.empty() ? "" : ", ") + std::string(k);
  return Status::InvalidArgument("source '" + spec.name + "': unknown kind '" + spec.kind +
                                 "' (known: " + known + ")");
}

std::vector<std::string_view> SourceKinds() {
  std::vector<std::string_view> v;
  for (const Kind& k : kKinds) {
    if (k.factory) v.push_back(k.name);
  }
  return v;
}

}  // namespace netsnap
