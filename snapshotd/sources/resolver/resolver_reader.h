// One complete reading of a resolver's configuration in a given format: the records and what
// to watch for changes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "sources/resolver/config_set.h"
#include "sources/resolver/file_tree.h"

namespace netsnap {

enum class ResolverFormat { kResolvConf, kDnsmasq, kResolved, kUnbound };
// "resolv.conf", "dnsmasq", "resolved", "unbound".
std::string_view ResolverFormatName(ResolverFormat f);
std::optional<ResolverFormat> ResolverFormatFromName(std::string_view name);

struct ResolverPass {
  Snapshot snapshot;
  std::vector<std::string> files;    // every file read or looked for
  std::vector<std::string> folders;  // every folder whose entries matter
};

// Never fails because of the files' content: problems are recorded in the kFile records. Every
// file is reached through `tree`.
Status ReadResolverFiles(ResolverFormat format, const std::string& path, const FileTree& tree,
                         const ReadLimits& limits, ResolverPass* out);

}  // namespace netsnap
