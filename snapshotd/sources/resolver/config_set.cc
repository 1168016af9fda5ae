#include "sources/resolver/config_set.h"

#include <algorithm>

#include "sources/resolver/file_reader.h"

namespace netsnap {

namespace {

// Higher wins when two rules of different types name the same domain.
int Precedence(ResolverRuleType t) {
  switch (t) {
    case ResolverRuleType::kAddress:
      return 5;
    case ResolverRuleType::kLocal:
      return 4;
    case ResolverRuleType::kStub:
      return 3;
    case ResolverRuleType::kForward:
      return 2;
    case ResolverRuleType::kSystem:
      return 1;
  }
  return 0;
}

std::string Describe(const ResolverRule& r) {
  std::string s = "also " + std::string(ResolverRuleTypeName(r.type));
  for (const ResolverTarget& t : r.targets) {
    s += " " + t.address;
    if (t.port) s += "#" + std::to_string(t.port);
    s += t.extra;
  }
  return s;
}

void AddOption(std::vector<std::string>* options, const std::string& opt) {
  if (std::find(options->begin(), options->end(), opt) == options->end()) {
    options->push_back(opt);
  }
}

}  // namespace

ConfigSet::ConfigSet(const FileTree* tree, ReadLimits limits) : tree_(tree), limits_(limits) {}

const ConfigFile* ConfigSet::Read(const std::string& path, std::string* why) {
  watch_.insert(path);
  if (files_.count(path)) {
    *why = "already read (include loop?)";
    return nullptr;
  }
  if (files_.size() >= limits_.max_files) {
    *why = "too many files (limit " + std::to_string(limits_.max_files) + ")";
    return nullptr;
  }
  size_t budget =
      limits_.max_total_bytes > total_bytes_ ? limits_.max_total_bytes - total_bytes_ : 0;
  ConfigFile f;
  if (!ReadConfigFile(*tree_, path, std::min(limits_.max_file_bytes, budget), &f)) {
    *why = "No such file or directory";
    return nullptr;
  }
  total_bytes_ += f.content.size();
  FileEntry& e = files_[path];
  e.file = std::move(f);
  if (!e.file.error.empty()) {
    e.errors = 1;
    *why = e.file.error;
    return nullptr;
  }
  return &e.file;
}

void ConfigSet::ForEachLine(const ConfigFile& file,
                            const std::function<void(size_t, std::string_view)>& fn) {
  std::string_view rest = file.content;
  size_t line = 0;
  while (!rest.empty()) {
    ++line;
    size_t nl = rest.find('\n');
    std::string_view text = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.size() > limits_.max_line_bytes) {
      Error(file.path, line,
            "line longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
      continue;
    }
    bool binary = std::any_of(text.begin(), text.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return (u < 0x20 && u != '\t') || u == 0x7f;
    });
    if (binary) {
      Error(file.path, line, "control characters (binary data?)");
      continue;
    }
    fn(line, text);
  }
}

void ConfigSet::Error(const std::string& path, size_t line, std::string_view what) {
  auto it = files_.find(path);
  if (it == files_.end()) return;
  FileEntry& e = it->second;
  if (e.errors++ == 0) {
    e.file.error =
        line ? "line " + std::to_string(line) + ": " + std::string(what) : std::string(what);
  }
}

void ConfigSet::AddRule(ResolverRule rule) {
  rule.domain = NormalizeDomain(rule.domain);
  auto it = rules_.find(rule.domain);
  if (it == rules_.end()) {
    std::string d = rule.domain;
    rules_.emplace(std::move(d), std::move(rule));
    return;
  }
  ResolverRule& have = it->second;
  if (have.type == rule.type) {
    for (ResolverTarget& t : rule.targets) {
      if (std::find(have.targets.begin(), have.targets.end(), t) == have.targets.end()) {
        have.targets.push_back(std::move(t));
      }
    }
    for (const std::string& o : rule.options) AddOption(&have.options, o);
    return;
  }
  if (Precedence(rule.type) > Precedence(have.type)) std::swap(have, rule);
  AddOption(&have.options, Describe(rule));
}

void ConfigSet::RemoveRule(const std::string& domain) { rules_.erase(NormalizeDomain(domain)); }

void ConfigSet::SetSetting(const std::string& name, std::vector<std::string> values,
                           const std::string& origin, bool append) {
  auto it = settings_.find(name);
  if (it == settings_.end() || !append) {
    settings_[name] = ResolverSetting{name, std::move(values), origin};
    return;
  }
  for (std::string& v : values) it->second.values.push_back(std::move(v));
}

bool ConfigSet::EnterInclude(std::string* why) {
  if (depth_ >= limits_.max_depth) {
    *why = "includes nested deeper than " + std::to_string(limits_.max_depth);
    return false;
  }
  ++depth_;
  return true;
}

Status ConfigSet::Finish(Snapshot* out) const {
  std::vector<Record> records;
  records.reserve(files_.size() + rules_.size() + settings_.size());
  for (const auto& [path, e] : files_) {
    ConfigFile f = e.file;
    if (e.errors > 1) f.error += " (and " + std::to_string(e.errors - 1) + " more)";
    records.push_back(f.ToRecord());
  }
  for (const auto& [d, r] : rules_) records.push_back(r.ToRecord());
  for (const auto& [n, s] : settings_) records.push_back(s.ToRecord());
  return Snapshot::FromRecords(std::move(records), out);
}

std::string NormalizeDomain(std::string_view domain) {
  std::string d(domain);
  for (char& c : d) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  while (d.size() > 1 && d.back() == '.') d.pop_back();
  return d;
}

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace netsnap
