#include "sources/resolver/dnsmasq_parser.h"

#include <arpa/inet.h>

#include <cstdio>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

bool IsAddress(const std::string& a) {
  unsigned char buf[16];
  return inet_pton(AF_INET, a.c_str(), buf) == 1 || inet_pton(AF_INET6, a.c_str(), buf) == 1;
}

bool ParsePort(std::string_view s, uint16_t* port) {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

// Makes `rule` forward to `s`, "addr[#port][@source|interface[#port]]"; returns what is wrong
// with `s`, or "".
std::string ForwardTo(std::string_view s, ResolverRule* rule) {
  ResolverTarget t;
  size_t at = s.find('@');
  std::string_view main = s.substr(0, at);
  if (at != std::string_view::npos) t.extra = std::string(s.substr(at));
  size_t hash = main.find('#');
  t.address = std::string(main.substr(0, hash));
  if (!IsAddress(t.address)) return "not an IP address: '" + t.address + "'";
  if (hash != std::string_view::npos && !ParsePort(main.substr(hash + 1), &t.port)) {
    return "bad port in '" + std::string(main) + "'";
  }
  rule->type = ResolverRuleType::kForward;
  rule->targets.push_back(std::move(t));
  return "";
}

// Splits "/d1/d2/rest" into domains and rest; a value without a leading '/' has no domains.
bool SplitDomains(std::string_view v, std::vector<std::string>* domains, std::string_view* rest) {
  if (v.empty() || v[0] != '/') {
    *rest = v;
    return true;
  }
  size_t last = v.rfind('/');
  if (last == 0) return false;
  std::string_view list = v.substr(1, last - 1);
  *rest = v.substr(last + 1);
  size_t i = 0;
  for (;;) {
    size_t slash = list.find('/', i);
    std::string_view d = list.substr(i, slash == std::string_view::npos ? slash : slash - i);
    domains->push_back(d == "#" ? "." : std::string(d));
    if (slash == std::string_view::npos) break;
    i = slash + 1;
  }
  return true;
}

// dnsmasq drops a comment that starts a line or follows white space.
std::string_view StripComment(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

bool ValidOptionName(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// conf-dir skips these, whatever the filters say.
bool SkippedInConfDir(const std::string& name) {
  return name.empty() || name[0] == '.' || name.back() == '~' ||
         (name.size() >= 2 && name.front() == '#' && name.back() == '#');
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class Parser {
 public:
  explicit Parser(ConfigSet* set) : set_(set) {}

  // Parses one file; `servers_only` for servers-file= (server= and rev-server= lines only).
  // Returns false with *why when the file gave nothing to parse.
  bool File(const std::string& path, bool servers_only, std::string* why) {
    const ConfigFile* file = set_->Read(path, why);
    if (!file) return false;
    std::string dir = ParentDir(path);
    std::string saved_origin = origin_;
    origin_ = path;
    set_->ForEachLine(*file, [&](size_t line, std::string_view text) {
      text = Trim(StripComment(text));
      if (text.empty()) return;
      size_t eq = text.find('=');
      std::string name(Trim(text.substr(0, eq)));
      std::string value(eq == std::string_view::npos ? "" : Trim(text.substr(eq + 1)));
      if (!ValidOptionName(name)) {
        set_->Error(path, line, "bad option name '" + name.substr(0, 64) + "'");
        return;
      }
      if (servers_only && name != "server" && name != "rev-server") {
        set_->Error(path, line, "only server= and rev-server= belong in a servers-file");
        return;
      }
      std::string err = Option(dir, name, value);
      if (!err.empty()) set_->Error(path, line, err);
    });
    origin_ = saved_origin;
    return true;
  }

  // A conf-dir= value: the folder and its filters, "*.ext" to include or ".ext" to exclude.
  void Folder(const std::string& dir, const std::vector<std::string>& filters, std::string* err) {
    set_->WatchFolder(dir);
    std::string why;
    std::vector<std::string> names = ListFolder(set_->tree(), dir, &why);
    if (!why.empty()) {
      *err = "conf-dir " + dir + ": " + why;
      return;
    }
    std::vector<std::string> include, exclude;
    for (const std::string& f : filters) {
      if (f.size() > 1 && f[0] == '*') {
        include.push_back(f.substr(1));
      } else if (!f.empty()) {
        exclude.push_back(f);
      }
    }
    for (const std::string& name : names) {
      if (SkippedInConfDir(name)) continue;
      bool skip = false;
      for (const std::string& e : exclude) skip = skip || EndsWith(name, e);
      if (!include.empty()) {
        bool match = false;
        for (const std::string& i : include) match = match || EndsWith(name, i);
        skip = skip || !match;
      }
      if (skip) continue;
      std::string sub_err = Include(ResolveRelative(dir, name), false);
      if (err->empty()) *err = sub_err;
    }
  }

 private:
  // Returns the problem to report on the including line, or "".
  std::string Include(const std::string& path, bool servers_only) {
    std::string why;
    if (!set_->EnterInclude(&why)) return why;
    bool ok = File(path, servers_only, &why);
    set_->LeaveInclude();
    return ok ? "" : path + ": " + why;
  }

  std::string Option(const std::string& dir, const std::string& name, const std::string& value);
  std::string Server(const std::string& name, const std::string& value);
  std::string RevServer(const std::string& value);

  ConfigSet* set_;
  std::string origin_;
};

std::string Parser::Option(const std::string& dir, const std::string& name,
                           const std::string& value) {
  if (name == "conf-file") {
    if (value.empty()) return "";  // dnsmasq's compiled-in default file; not followed
    return Include(ResolveRelative(dir, value), false);
  }
  if (name == "servers-file") {
    if (value.empty()) return "servers-file needs a path";
    return Include(ResolveRelative(dir, value), true);
  }
  if (name == "conf-dir") {
    std::vector<std::string> parts;
    size_t i = 0;
    for (;;) {
      size_t comma = value.find(',', i);
      parts.emplace_back(Trim(std::string_view(value).substr(i, comma - i)));
      if (comma == std::string::npos) break;
      i = comma + 1;
    }
    if (parts[0].empty()) return "conf-dir needs a folder";
    std::string folder = ResolveRelative(dir, parts[0]);
    std::string err;
    std::string why;
    if (!set_->EnterInclude(&why)) return why;
    Folder(folder, std::vector<std::string>(parts.begin() + 1, parts.end()), &err);
    set_->LeaveInclude();
    return err;
  }
  if (name == "server" || name == "local" || name == "address") return Server(name, value);
  if (name == "rev-server") return RevServer(value);
  set_->SetSetting(name, {value}, origin_, true);
  return "";
}

std::string Parser::Server(const std::string& name, const std::string& value) {
  std::vector<std::string> domains;
  std::string_view rest;
  if (!SplitDomains(value, &domains, &rest)) return name + "= has an unterminated domain list";
  ResolverRule rule;
  rule.origin = origin_;
  if (name == "address") {
    if (domains.empty()) return "address= needs /domain/";
    rule.type = ResolverRuleType::kAddress;
    if (rest == "#") {
      rule.targets.push_back({"#", 0, ""});
    } else if (!rest.empty()) {
      if (!IsAddress(std::string(rest))) return "not an IP address: '" + std::string(rest) + "'";
      rule.targets.push_back({std::string(rest), 0, ""});
    }
  } else if (rest.empty()) {
    if (domains.empty()) return name + "= needs /domain/ or an address";
    rule.type = ResolverRuleType::kLocal;
  } else if (rest == "#") {
    rule.type = ResolverRuleType::kSystem;
  } else {
    std::string why = ForwardTo(rest, &rule);
    if (!why.empty()) return why;
  }
  if (domains.empty()) domains.push_back(".");
  for (const std::string& d : domains) {
    ResolverRule r = rule;
    r.domain = d;
    set_->AddRule(std::move(r));
  }
  return "";
}

std::string Parser::RevServer(const std::string& value) {
  size_t comma = value.find(',');
  std::string prefix(Trim(std::string_view(value).substr(0, comma)));
  ResolverRule rule;
  rule.origin = origin_;
  if (!ReverseDomain(prefix, &rule.domain)) return "rev-server needs a prefix: '" + prefix + "'";
  rule.options.push_back("rev-server " + prefix);
  std::string rest = comma == std::string::npos
                         ? ""
                         : std::string(Trim(std::string_view(value).substr(comma + 1)));
  if (rest.empty()) {
    rule.type = ResolverRuleType::kLocal;
  } else {
    std::string why = ForwardTo(rest, &rule);
    if (!why.empty()) return why;
  }
  set_->AddRule(std::move(rule));
  return "";
}

}  // namespace

bool ReverseDomain(std::string_view prefix, std::string* domain) {
  size_t slash = prefix.find('/');
  std::string addr(prefix.substr(0, slash));
  unsigned char b[16];
  bool v4 = inet_pton(AF_INET, addr.c_str(), b) == 1;
  if (!v4 && inet_pton(AF_INET6, addr.c_str(), b) != 1) return false;
  unsigned max = v4 ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    uint16_t l = 0;
    std::string_view ls = prefix.substr(slash + 1);
    if (ls == "0") {
      len = 0;
    } else if (!ParsePort(ls, &l) || l > max) {
      return false;
    } else {
      len = l;
    }
  }
  std::string d;
  if (v4) {
    for (int i = static_cast<int>(len / 8) - 1; i >= 0; --i) d += std::to_string(b[i]) + ".";
    d += "in-addr.arpa";
  } else {
    static const char* hex = "0123456789abcdef";
    for (int i = static_cast<int>(len / 4) - 1; i >= 0; --i) {
      unsigned char byte = b[i / 2];
      d.push_back(hex[i % 2 ? byte & 15 : byte >> 4]);
      d.push_back('.');
    }
    d += "ip6.arpa";
  }
  *domain = std::move(d);
  return true;
}

void ReadDnsmasq(const std::string& path, ConfigSet* set) {
  Parser p(set);
  if (IsFolder(set->tree(), path)) {
    std::string err;
    p.Folder(path, {}, &err);
    return;
  }
  std::string why;
  p.File(path, false, &why);
}

}  // namespace netsnap
