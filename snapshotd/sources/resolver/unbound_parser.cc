#include "sources/resolver/unbound_parser.h"

#include <arpa/inet.h>
#include <fnmatch.h>

#include <algorithm>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

std::string Unquote(std::string_view v) {
  v = Trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

// unbound drops a comment that starts a token (at the line start or after white space) outside
// quotes; "1.1.1.1@853#tls-name" keeps its "#".
std::string_view StripComment(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

// "addr[@port][#tls-name]".
bool ParseAddr(const std::string& v, ResolverTarget* t) {
  size_t hash = v.find('#');
  std::string main = v.substr(0, hash);
  t->extra = hash == std::string::npos ? "" : v.substr(hash);
  size_t at = main.find('@');
  t->address = main.substr(0, at);
  t->port = 0;
  unsigned char buf[16];
  if (inet_pton(AF_INET, t->address.c_str(), buf) != 1 &&
      inet_pton(AF_INET6, t->address.c_str(), buf) != 1) {
    return false;
  }
  if (at != std::string::npos) {
    std::string p = main.substr(at + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    unsigned port = static_cast<unsigned>(std::stoul(p));
    if (port == 0 || port > 65535) return false;
    t->port = static_cast<uint16_t>(port);
  }
  return true;
}

bool IsClause(const std::string& key) {
  static const char* const kClauses[] = {"server",    "forward-zone", "stub-zone", "remote-control",
                                         "auth-zone", "view",         "python",    "dynlib",
                                         "cachedb",   "dnstap",       "rpz"};
  for (const char* c : kClauses) {
    if (key == c) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(ConfigSet* set) : set_(set) {}

  // Returns false with *why when the file gave nothing to parse.
  bool File(const std::string& path, std::string* why) {
    const ConfigFile* file = set_->Read(path, why);
    if (!file) return false;
    std::string saved_path = path_;
    path_ = path;
    set_->ForEachLine(*file, [&](size_t line, std::string_view text) {
      text = Trim(StripComment(text));
      if (text.empty()) return;
      size_t colon = text.find(':');
      if (colon == std::string_view::npos) {
        set_->Error(path, line, "expected 'name: value'");
        return;
      }
      std::string key(Trim(text.substr(0, colon)));
      std::string value = Unquote(text.substr(colon + 1));
      std::string err = Line(line, key, value);
      if (!err.empty()) set_->Error(path, line, err);
    });
    Flush();
    path_ = saved_path;
    return true;
  }

  void Flush() {
    if (!in_zone_) return;
    in_zone_ = false;
    if (zone_.domain.empty()) {
      set_->Error(zone_.origin, zone_line_, clause_ + " without a name");
      return;
    }
    set_->AddRule(std::move(zone_));
  }

 private:
  std::string Line(size_t line, const std::string& key, const std::string& value) {
    if (value.empty() && IsClause(key)) {
      Flush();
      clause_ = key;
      if (key == "forward-zone" || key == "stub-zone") {
        zone_ = ResolverRule();
        zone_.domain.clear();
        zone_.type = key == "forward-zone" ? ResolverRuleType::kForward : ResolverRuleType::kStub;
        zone_.origin = path_;
        zone_line_ = line;
        in_zone_ = true;
      }
      return "";
    }
    if (key == "include" || key == "include-toplevel") return Include(value);
    if (in_zone_) return ZoneKey(key, value);
    if (clause_ == "server") {
      if (key == "local-zone") {
        std::vector<std::string_view> w = SplitWords(value);
        if (w.size() != 2) return "local-zone needs a name and a type";
        ResolverRule r;
        r.domain = Unquote(w[0]);
        r.type = ResolverRuleType::kLocal;
        r.options.emplace_back(w[1]);
        r.origin = path_;
        set_->AddRule(std::move(r));
        return "";
      }
      set_->SetSetting("server:" + key, {value}, path_, true);
      return "";
    }
    if (clause_.empty()) return "'" + key + "' outside any clause";
    return "";  // other clauses are versioned with the file but not modelled
  }

  std::string ZoneKey(const std::string& key, const std::string& value) {
    std::string p = clause_ == "forward-zone" ? "forward-" : "stub-";
    if (key == "name") {
      zone_.domain = value.empty() ? "." : value;
    } else if (key == p + "addr") {
      ResolverTarget t;
      if (!ParseAddr(value, &t)) return "bad address '" + value + "'";
      zone_.targets.push_back(std::move(t));
    } else if (key == p + "host") {
      zone_.targets.push_back({value, 0, ""});
      zone_.options.push_back("host " + value);
    } else if (key.rfind(p, 0) == 0) {
      zone_.options.push_back(key + " " + value);  // forward-first yes, stub-prime no, ...
    } else {
      return "unknown " + clause_ + " key '" + key + "'";
    }
    return "";
  }

  std::string Include(const std::string& pattern) {
    std::string why;
    if (!set_->EnterInclude(&why)) return why;
    std::string full = ResolveRelative(ParentDir(path_), pattern);
    std::vector<std::string> paths;
    const std::string folder = ParentDir(full);
    const std::string pattern_name = full.substr(folder.size() == 1 ? 1 : folder.size() + 1);
    if (full.find_first_of("*?[") == std::string::npos) {
      paths.push_back(full);
    } else if (folder.find_first_of("*?[") != std::string::npos) {
      set_->LeaveInclude();
      return "wildcards are followed in file names only, not in folders";
    } else {
      // As glob(3) would, but listing the folder through the tree; sorted, no hidden files.
      for (const std::string& name : ListFolder(set_->tree(), folder, &why)) {
        if (paths.size() >= set_->limits().max_files) break;
        if (fnmatch(pattern_name.c_str(), name.c_str(), FNM_PERIOD) == 0) {
          paths.push_back(ResolveRelative(folder, name));
        }
      }
      why.clear();
    }
    Flush();
    std::string saved_clause = clause_;
    std::string err;
    for (const std::string& p : paths) {
      if (!File(p, &why) && err.empty()) err = p + ": " + why;
    }
    clause_ = saved_clause;
    set_->LeaveInclude();
    return err;
  }

  ConfigSet* set_;
  std::string path_;
  std::string clause_;
  ResolverRule zone_;
  size_t zone_line_ = 0;
  bool in_zone_ = false;
};

}  // namespace

void ReadUnbound(const std::string& path, ConfigSet* set) {
  Parser p(set);
  std::string why;
  p.File(path, &why);
}

}  // namespace netsnap
