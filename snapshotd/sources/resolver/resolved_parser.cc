#include "sources/resolver/resolved_parser.h"

#include <arpa/inet.h>

#include <map>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

bool IsAddress(const std::string& a, bool v6) {
  unsigned char buf[16];
  return inet_pton(v6 ? AF_INET6 : AF_INET, a.c_str(), buf) == 1;
}

// "addr", "addr:port", "[v6]:port", each with optional "%ifname" and "#server-name".
bool ParseDnsServer(std::string_view s, ResolverTarget* t) {
  std::string extra;
  size_t hash = s.find('#');
  if (hash != std::string_view::npos) {
    extra = std::string(s.substr(hash));
    s = s.substr(0, hash);
  }
  size_t pct = s.find('%');
  if (pct != std::string_view::npos) {
    extra = std::string(s.substr(pct)) + extra;
    s = s.substr(0, pct);
  }
  std::string_view port;
  std::string addr;
  bool v6 = false;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    addr = std::string(s.substr(1, close - 1));
    v6 = true;
    std::string_view after = s.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return false;
      port = after.substr(1);
    }
  } else if (s.find(':') != s.rfind(':')) {
    addr = std::string(s);  // bare IPv6, no port
    v6 = true;
  } else {
    size_t colon = s.find(':');
    addr = std::string(s.substr(0, colon));
    if (colon != std::string_view::npos) port = s.substr(colon + 1);
  }
  if (!IsAddress(addr, v6)) return false;
  t->address = addr;
  t->port = 0;
  t->extra = extra;
  if (!port.empty()) {
    unsigned v = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || v > 65535) return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return false;
    t->port = static_cast<uint16_t>(v);
  }
  return true;
}

// What the files say, accumulated in reading order.
struct State {
  std::vector<ResolverTarget> dns;
  std::string dns_origin;
  std::vector<std::string> domains;
  std::string domains_origin;
};

void ParseFile(const std::string& path, ConfigSet* set, State* st) {
  std::string why;
  const ConfigFile* file = set->Read(path, &why);
  if (!file) return;
  std::string section;
  set->ForEachLine(*file, [&](size_t line, std::string_view text) {
    text = Trim(text);
    if (text.empty() || text[0] == '#' || text[0] == ';') return;
    if (text[0] == '[') {
      if (text.back() != ']') {
        set->Error(path, line, "unterminated section header");
        return;
      }
      section = std::string(text.substr(1, text.size() - 2));
      if (section != "Resolve") set->Error(path, line, "unknown section [" + section + "]");
      return;
    }
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
      set->Error(path, line, "expected Key=Value");
      return;
    }
    if (section != "Resolve") {
      if (section.empty()) set->Error(path, line, "assignment outside [Resolve]");
      return;
    }
    std::string key(Trim(text.substr(0, eq)));
    std::string_view value = Trim(text.substr(eq + 1));
    std::vector<std::string_view> words = SplitWords(value);
    if (key == "DNS") {
      if (words.empty()) st->dns.clear();
      for (std::string_view w : words) {
        ResolverTarget t;
        if (!ParseDnsServer(w, &t)) {
          set->Error(path, line, "bad DNS server '" + std::string(w) + "'");
          continue;
        }
        st->dns.push_back(std::move(t));
      }
      st->dns_origin = path;
    } else if (key == "Domains") {
      if (words.empty()) st->domains.clear();
      for (std::string_view w : words) st->domains.emplace_back(w);
      st->domains_origin = path;
    } else if (key == "FallbackDNS") {
      std::vector<std::string> values;
      for (std::string_view w : words) {
        ResolverTarget t;
        if (!ParseDnsServer(w, &t))
          set->Error(path, line, "bad DNS server '" + std::string(w) + "'");
        values.emplace_back(w);
      }
      set->SetSetting(key, std::move(values), path, !words.empty());
    } else if (key.empty()) {
      set->Error(path, line, "empty key");
    } else {
      set->SetSetting(key, {std::string(value)}, path, false);  // the last assignment wins
    }
  });
}

}  // namespace

void ReadResolved(const std::string& path, ConfigSet* set) {
  State st;
  std::string dropins = path + ".d";
  if (IsFolder(set->tree(), path)) {
    dropins = path;
  } else {
    ParseFile(path, set, &st);
  }
  set->WatchFolder(dropins);
  std::string why;
  for (const std::string& name : ListFolder(set->tree(), dropins, &why)) {
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".conf") == 0) {
      ParseFile(ResolveRelative(dropins, name), set, &st);
    }
  }
  if (!st.dns.empty()) {
    ResolverRule r;
    r.domain = ".";
    r.type = ResolverRuleType::kForward;
    r.targets = st.dns;
    r.origin = st.dns_origin;
    set->AddRule(std::move(r));
  }
  if (!st.domains.empty()) {
    set->SetSetting("Domains", st.domains, st.domains_origin, false);
    for (const std::string& d : st.domains) {
      bool routing_only = d[0] == '~';
      std::string name = routing_only ? d.substr(1) : d;
      if (name.empty()) continue;
      ResolverRule r;
      r.domain = name;
      r.type = ResolverRuleType::kSystem;
      r.options = routing_only ? std::vector<std::string>{"routing"}
                               : std::vector<std::string>{"routing", "search"};
      r.origin = st.domains_origin;
      if (NormalizeDomain(name) == ".") {
        // "~." makes the global servers the default route; it adds to the "." rule.
        r.type = st.dns.empty() ? ResolverRuleType::kSystem : ResolverRuleType::kForward;
        r.targets = st.dns;
        r.options = {"default-route"};
      }
      set->AddRule(std::move(r));
    }
  }
}

}  // namespace netsnap
