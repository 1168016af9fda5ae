// Overwrite: a record kept its key but got another value that matters — a route to another
// gateway, device or next-hop object, of another type, or now owned by another routing
// protocol; a rule that points elsewhere; a next-hop object changed; a resolver rule or setting
// pointed elsewhere; a resolver file rewritten. Changes of state the kernel keeps by itself (a
// route's flags such as linkdown) are not overwrites.
#include "detect/detector.h"
#include "netsnap/resolver.h"
#include "netsnap/route.h"
#include "netsnap/rule.h"

namespace netsnap {

namespace {

// Why the change from `before` to `after` is an overwrite, or "" when it is not one.
std::string Reason(std::string_view key, const std::string& before, const std::string& after) {
  switch (KindOfKey(key)) {
    case RecordKind::kRoute: {
      Route a, b;
      if (!Route::FromRecord({key, before}, &a).ok() || !Route::FromRecord({key, after}, &b).ok()) {
        return "route changed";
      }
      if (a.protocol != b.protocol) {
        return "protocol " + ProtocolName(a.protocol) + " -> " + ProtocolName(b.protocol);
      }
      if (a.type != b.type) return "type " + RouteTypeName(a.type) + " -> " + RouteTypeName(b.type);
      if (!(a.gateway == b.gateway) || a.dev != b.dev || a.nhid != b.nhid)
        return "next hop changed";
      if (a.nexthops.size() != b.nexthops.size()) return "next hops changed";
      for (size_t i = 0; i < a.nexthops.size(); ++i) {
        if (!(a.nexthops[i].gateway == b.nexthops[i].gateway) ||
            a.nexthops[i].dev != b.nexthops[i].dev ||
            a.nexthops[i].weight != b.nexthops[i].weight) {
          return "next hops changed";
        }
      }
      if (!(a.prefsrc == b.prefsrc)) return "preferred source changed";
      return "";
    }
    case RecordKind::kRule: {
      Rule a, b;
      if (!Rule::FromRecord({key, before}, &a).ok() || !Rule::FromRecord({key, after}, &b).ok()) {
        return "rule changed";
      }
      if (a.action != b.action || a.table != b.table || a.goto_target != b.goto_target) {
        return "rule points elsewhere";
      }
      return "";
    }
    case RecordKind::kNexthop:
      return "next-hop object changed";
    case RecordKind::kResolverRule: {
      ResolverRule a, b;
      if (!ResolverRule::FromRecord({key, before}, &a).ok() ||
          !ResolverRule::FromRecord({key, after}, &b).ok()) {
        return "resolver rule changed";
      }
      if (a.type != b.type || a.targets != b.targets) return "resolver rule pointed elsewhere";
      return "";
    }
    case RecordKind::kResolverSetting:
      return "resolver setting changed";
    case RecordKind::kFile: {
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
  }
  return "";
}

class Overwrite : public Detector {
 public:
  void Inspect(const VersionCommitted& v, const DetectContext& ctx,
               std::vector<Finding>* out) override {
    Finding f = NewFinding("overwrite", v);
    std::vector<RecordRef> damaged;
    boost::json::object reasons;
    for (const ChangedRecord& c : ctx.diff.changed) {
      std::string why = Reason(c.key, c.old_value, c.new_value);
      if (why.empty()) continue;
      f.records.push_back({c.key, c.old_value, c.new_value});
      damaged.push_back({c.key, c.old_value});
      if (auto* n = reasons.if_contains(why))
        n->as_int64() += 1;
      else
        reasons[why] = 1;
    }
    if (f.records.empty()) return;
    f.restore_keys = RestoreKeysFor(damaged);
    std::string writer = v.current.actor.known() ? v.current.actor.process + " (pid " +
                                                       std::to_string(v.current.actor.pid) + ")"
                                                 : "an unknown writer";
    f.summary = std::to_string(f.records.size()) + " record" + (f.records.size() == 1 ? "" : "s") +
                " overwritten by " + writer;
    f.details["reasons"] = std::move(reasons);
    out->push_back(std::move(f));
  }
};

}  // namespace

std::unique_ptr<Detector> NewOverwriteDetector() { return std::make_unique<Overwrite>(); }

}  // namespace netsnap
