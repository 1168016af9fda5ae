// The descriptors of the resolver kinds: rules (a domain, from a file), settings (from a file)
// and the files themselves, which are what a restore writes.
#include "netsnap/resolver.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

// The name a resolver key holds after its kind byte: a domain, a setting name or a path.
std::string_view KeyName(std::string_view key) { return key.substr(key.empty() ? 0 : 1); }

// The domain is the key: it holds even when the value does not decode.
Status RuleFacets(RecordRef rec, RecordFacets* out) {
  out->domain = std::string(KeyName(rec.key));
  ResolverRule r;
  if (ResolverRule::FromRecord(rec, &r).ok() && r.type == ResolverRuleType::kForward) {
    out->servers = static_cast<uint32_t>(r.targets.size());
  }
  return Status::OK();
}

std::string RuleOrigin(RecordRef rec) {
  ResolverRule r;
  return ResolverRule::FromRecord(rec, &r).ok() && !r.origin.empty() ? ConfigFile::KeyFor(r.origin)
                                                                     : std::string();
}

// Where queries go; options and the origin file are not a redirection.
std::string RuleChange(std::string_view key, std::string_view before, std::string_view after) {
  ResolverRule a, b;
  if (!ResolverRule::FromRecord({key, before}, &a).ok() ||
      !ResolverRule::FromRecord({key, after}, &b).ok()) {
    return "resolver rule changed";
  }
  if (a.type != b.type || a.targets != b.targets) return "resolver rule pointed elsewhere";
  return "";
}

std::string SettingOrigin(RecordRef rec) {
  ResolverSetting s;
  return ResolverSetting::FromRecord(rec, &s).ok() && !s.origin.empty()
             ? ConfigFile::KeyFor(s.origin)
             : std::string();
}

std::string SettingChange(std::string_view, std::string_view, std::string_view) {
  return "resolver setting changed";
}

// The path is the key: it holds without the value (a plan names the files resolver rules come
// from by their keys alone).
Status FileFacets(RecordRef rec, RecordFacets* out) {
  out->path = std::string(KeyName(rec.key));
  return Status::OK();
}

std::string FileChange(std::string_view key, std::string_view before, std::string_view after) {
  ConfigFile a, b;
  if (!ConfigFile::FromRecord({key, before}, &a).ok() ||
      !ConfigFile::FromRecord({key, after}, &b).ok()) {
    return "file changed";
  }
  if (a.content != b.content || a.has_content != b.has_content) return "file rewritten";
  if (a.mode != b.mode || a.uid != b.uid || a.gid != b.gid) return "file mode or owner changed";
  if (a.symlink_target != b.symlink_target) return "symbolic link changed";
  return "";
}

}  // namespace

const RecordKindOps& ResolverRuleKindOps() {
  static const RecordKindOps ops = {
      .kind = RecordKind::kResolverRule,
      .name = "resolver_rule",
      .render = ResolverRuleRenderer(),
      .facets = &RuleFacets,
      .describe_change = &RuleChange,
      .origin_key = &RuleOrigin,
      .group = "resolver rules",
      .table_of_key = nullptr,
  };
  return ops;
}

const RecordKindOps& ResolverSettingKindOps() {
  static const RecordKindOps ops = {
      .kind = RecordKind::kResolverSetting,
      .name = "resolver_setting",
      .render = ResolverSettingRenderer(),
      .facets = nullptr,
      .describe_change = &SettingChange,
      .origin_key = &SettingOrigin,
      .group = "",
      .table_of_key = nullptr,
  };
  return ops;
}

const RecordKindOps& FileKindOps() {
  static const RecordKindOps ops = {
      .kind = RecordKind::kFile,
      .name = "file",
      .render = FileRenderer(),
      .facets = &FileFacets,
      .describe_change = &FileChange,
      .origin_key = nullptr,
      .group = "resolver files",
      .table_of_key = nullptr,
  };
  return ops;
}

}  // namespace netsnap
