// Resolver rules, settings and files as JSON and as one line of text (a file's text is its
// content): one renderer per kind.
#include <boost/json.hpp>
#include <cstdio>

#include "netsnap/resolver.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n;
    if (c < 0x80) {
      n = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
    } else {
      return false;
    }
    if (n > s.size() - i - 1) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

std::string Base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(t[(v >> k) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out.push_back(t[(v >> 18) & 63]);
    out.push_back(t[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? t[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// A string that is safe to put in JSON (invalid UTF-8 becomes base64 under `<name>_base64`).
void PutText(boost::json::object* o, const char* name, std::string_view s) {
  if (ValidUtf8(s)) {
    (*o)[name] = s;
  } else {
    (*o)[std::string(name) + "_base64"] = Base64(s);
  }
}

std::string TargetText(const ResolverTarget& t) {
  std::string s = t.address;
  if (t.port) s += "#" + std::to_string(t.port);
  return s + t.extra;
}

std::string Mode(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

// The name a resolver key holds after its kind byte: a domain, a setting name or a path.
std::string_view KeyName(RecordRef rec) { return rec.key.substr(rec.key.empty() ? 0 : 1); }

Status RuleKeyJson(RecordRef rec, boost::json::object* o) {
  (*o)["kind"] = "resolver_rule";
  PutText(o, "domain", KeyName(rec));
  return Status::OK();
}

Status RuleToJson(RecordRef rec, boost::json::object* o) {
  ResolverRule r;
  NETSNAP_RETURN_IF_ERROR(ResolverRule::FromRecord(rec, &r));
  NETSNAP_RETURN_IF_ERROR(RuleKeyJson(rec, o));
  (*o)["type"] = ResolverRuleTypeName(r.type);
  boost::json::array targets;
  for (const ResolverTarget& t : r.targets) {
    boost::json::object to;
    PutText(&to, "address", t.address);
    to["port"] = t.port ? t.port : 53;
    if (!t.extra.empty()) PutText(&to, "extra", t.extra);
    targets.push_back(std::move(to));
  }
  (*o)["targets"] = std::move(targets);
  boost::json::array options;
  for (const std::string& s : r.options) options.push_back(boost::json::string(s));
  (*o)["options"] = std::move(options);
  PutText(o, "origin", r.origin);
  return Status::OK();
}

// "corp.example forward 10.0.0.2#5353 10.0.0.3 options forward-first origin /etc/x"
Status RuleToText(RecordRef rec, std::string* out) {
  ResolverRule r;
  NETSNAP_RETURN_IF_ERROR(ResolverRule::FromRecord(rec, &r));
  std::string& s = *out;
  s = (r.domain.empty() ? "\"\"" : r.domain) + " " + std::string(ResolverRuleTypeName(r.type));
  for (const ResolverTarget& t : r.targets) s += " " + TargetText(t);
  if (!r.options.empty()) {
    s += " options";
    for (const std::string& opt : r.options) s += " " + opt;
  }
  if (!r.origin.empty()) s += " origin " + r.origin;
  return Status::OK();
}

Status SettingKeyJson(RecordRef rec, boost::json::object* o) {
  (*o)["kind"] = "resolver_setting";
  PutText(o, "name", KeyName(rec));
  return Status::OK();
}

Status SettingToJson(RecordRef rec, boost::json::object* o) {
  ResolverSetting s;
  NETSNAP_RETURN_IF_ERROR(ResolverSetting::FromRecord(rec, &s));
  NETSNAP_RETURN_IF_ERROR(SettingKeyJson(rec, o));
  boost::json::array values;
  for (const std::string& v : s.values) {
    values.push_back(ValidUtf8(v) ? boost::json::value(v) : boost::json::value(Base64(v)));
  }
  (*o)["values"] = std::move(values);
  PutText(o, "origin", s.origin);
  return Status::OK();
}

// "search a.example b.example"
Status SettingToText(RecordRef rec, std::string* out) {
  ResolverSetting st;
  NETSNAP_RETURN_IF_ERROR(ResolverSetting::FromRecord(rec, &st));
  *out = st.name;
  for (const std::string& v : st.values) *out += " " + v;
  return Status::OK();
}

Status FileKeyJson(RecordRef rec, boost::json::object* o) {
  (*o)["kind"] = "file";
  PutText(o, "path", KeyName(rec));
  return Status::OK();
}

Status FileToJson(RecordRef rec, boost::json::object* o) {
  ConfigFile f;
  NETSNAP_RETURN_IF_ERROR(ConfigFile::FromRecord(rec, &f));
  NETSNAP_RETURN_IF_ERROR(FileKeyJson(rec, o));
  (*o)["mode"] = Mode(f.mode);
  (*o)["uid"] = f.uid;
  (*o)["gid"] = f.gid;
  if (!f.symlink_target.empty()) PutText(o, "symlink", f.symlink_target);
  if (f.has_content) {
    (*o)["size"] = f.content.size();
    PutText(o, "content", f.content);
  }
  if (!f.error.empty()) PutText(o, "error", f.error);
  return Status::OK();
}

// A file's text is its content.
Status FileToText(RecordRef rec, std::string* out) {
  ConfigFile f;
  NETSNAP_RETURN_IF_ERROR(ConfigFile::FromRecord(rec, &f));
  *out = f.content;
  return Status::OK();
}

const KindRenderer kRule = {&RuleToJson, &RuleKeyJson, &RuleToText, nullptr, nullptr};
const KindRenderer kSetting = {&SettingToJson, &SettingKeyJson, &SettingToText, nullptr, nullptr};
const KindRenderer kFile = {&FileToJson, &FileKeyJson, &FileToText, nullptr, nullptr};

}  // namespace

const KindRenderer* ResolverRuleRenderer() { return &kRule; }
const KindRenderer* ResolverSettingRenderer() { return &kSetting; }
const KindRenderer* FileRenderer() { return &kFile; }

}  // namespace netsnap
