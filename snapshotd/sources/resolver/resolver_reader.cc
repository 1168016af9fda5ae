#include "sources/resolver/resolver_reader.h"

#include "sources/resolver/dnsmasq_parser.h"
#include "sources/resolver/resolv_conf_parser.h"
#include "sources/resolver/resolved_parser.h"
#include "sources/resolver/unbound_parser.h"

namespace netsnap {

std::string_view ResolverFormatName(ResolverFormat f) {
  switch (f) {
    case ResolverFormat::kResolvConf:
      return "resolv.conf";
    case ResolverFormat::kDnsmasq:
      return "dnsmasq";
    case ResolverFormat::kResolved:
      return "resolved";
    case ResolverFormat::kUnbound:
      return "unbound";
  }
  return "unknown";
}

std::optional<ResolverFormat> ResolverFormatFromName(std::string_view name) {
  for (auto f : {ResolverFormat::kResolvConf, ResolverFormat::kDnsmasq, ResolverFormat::kResolved,
                 ResolverFormat::kUnbound}) {
    if (ResolverFormatName(f) == name) return f;
  }
  return std::nullopt;
}

Status ReadResolverFiles(ResolverFormat format, const std::string& path, const FileTree& tree,
                         const ReadLimits& limits, ResolverPass* out) {
  ConfigSet set(&tree, limits);
  switch (format) {
    case ResolverFormat::kResolvConf:
      ReadResolvConf(path, &set);
      break;
    case ResolverFormat::kDnsmasq:
      ReadDnsmasq(path, &set);
      break;
    case ResolverFormat::kResolved:
      ReadResolved(path, &set);
      break;
    case ResolverFormat::kUnbound:
      ReadUnbound(path, &set);
      break;
  }
  NETSNAP_RETURN_IF_ERROR(set.Finish(&out->snapshot));
  out->files = set.watched_files();
  out->folders = set.watched_folders();
  return Status::OK();
}

}  // namespace netsnap
