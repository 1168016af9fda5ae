// The rule kind's descriptor: a rule sends lookups to a table (or goes elsewhere).
#include "netsnap/rule.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

constexpr uint8_t kActionLookup = 1;  // FR_ACT_TO_TBL

Status Facets(RecordRef rec, RecordFacets* out) {
  Rule r;
  NETSNAP_RETURN_IF_ERROR(Rule::FromRecord(rec, &r));
  if (r.action == kActionLookup) out->lookup_table = r.table;
  return Status::OK();
}

// Where the rule sends packets; suppressors, protocol and the kernel's flags are not a
// redirection.
std::string DescribeChange(std::string_view key, std::string_view before, std::string_view after) {
  Rule a, b;
  if (!Rule::FromRecord({key, before}, &a).ok() || !Rule::FromRecord({key, after}, &b).ok()) {
    return "rule changed";
  }
  if (a.action != b.action || a.table != b.table || a.goto_target != b.goto_target) {
    return "rule points elsewhere";
  }
  return "";
}

}  // namespace

const RecordKindOps& RuleKindOps() {
  static const RecordKindOps ops = {
      .kind = RecordKind::kRule,
      .name = "rule",
      .render = RuleRenderer(),
      .facets = &Facets,
      .describe_change = &DescribeChange,
      .origin_key = nullptr,
      .group = "rules",
      .table_of_key = nullptr,
  };
  return ops;
}

}  // namespace netsnap
