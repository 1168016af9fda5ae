#include "sources/resolver/resolv_conf_parser.h"

#include <arpa/inet.h>

namespace netsnap {

namespace {

// An IPv4 or IPv6 address, the latter with an optional "%scope".
bool IsNameServerAddress(std::string_view s) {
  std::string a(s.substr(0, s.find('%')));
  unsigned char buf[16];
  return inet_pton(AF_INET, a.c_str(), buf) == 1 || inet_pton(AF_INET6, a.c_str(), buf) == 1;
}

}  // namespace

void ReadResolvConf(const std::string& path, ConfigSet* set) {
  std::string why;
  const ConfigFile* file = set->Read(path, &why);
  if (!file) return;
  ResolverRule servers;
  servers.domain = ".";
  servers.type = ResolverRuleType::kForward;
  servers.origin = path;
  set->ForEachLine(*file, [&](size_t line, std::string_view text) {
    text = Trim(text);
    if (text.empty() || text[0] == '#' || text[0] == ';') return;
    std::vector<std::string_view> words = SplitWords(text);
    std::string_view keyword = words[0];
    std::vector<std::string> args(words.begin() + 1, words.end());
    if (keyword == "nameserver") {
      if (args.size() != 1 || !IsNameServerAddress(args[0])) {
        set->Error(path, line, "nameserver needs one IP address");
        return;
      }
      servers.targets.push_back(ResolverTarget{args[0], 0, ""});
    } else if (keyword == "search" || keyword == "domain") {
      // The last line of each wins (glibc then uses whichever of the two came last).
      set->SetSetting(std::string(keyword), std::move(args), path, false);
    } else if (keyword == "options") {
      set->SetSetting("options", std::move(args), path, true);
    } else if (keyword == "sortlist") {
      set->SetSetting("sortlist", std::move(args), path, false);
    } else {
      set->Error(path, line, "unknown keyword '" + std::string(keyword) + "'");
    }
  });
  if (!servers.targets.empty()) set->AddRule(std::move(servers));
}

}  // namespace netsnap
