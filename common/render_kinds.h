// What each kind's files provide to the kind table (record_kind.cc) and to render.cc. Internal to
// common/: the renderers need Boost.JSON, which the model headers keep out.
#pragma once

#include <boost/json/fwd.hpp>
#include <string>

#include "netsnap/record_kind.h"
#include "netsnap/status.h"

namespace netsnap {

struct KindRenderer {
  Status (*to_json)(RecordRef rec, boost::json::object* out);
  Status (*key_json)(RecordRef rec, boost::json::object* out);
  Status (*to_text)(RecordRef rec, std::string* out);
  // to_json's object serialized, appended without building it; null when the kind has no
  // faster way than serializing to_json's.
  Status (*append_json)(RecordRef rec, std::string* out);
  // A short line for people from to_json's object as a client received it; null, or false for
  // an object that is not to_json's, for the generic "kind field=value ..." line. `cell` prints
  // one field's value.
  bool (*json_line)(const boost::json::object& o, std::string (*cell)(const boost::json::value&),
                    std::string* out);
};

// Each kind's descriptor, defined beside its codec, and its renderer, in its *_render.cc.
const RecordKindOps& RouteKindOps();  // route.cc
const KindRenderer* RouteRenderer();
const RecordKindOps& RuleKindOps();  // rule.cc
const KindRenderer* RuleRenderer();
const RecordKindOps& NexthopKindOps();  // nexthop.cc
const KindRenderer* NexthopRenderer();
const RecordKindOps& ResolverRuleKindOps();  // resolver.cc
const KindRenderer* ResolverRuleRenderer();
const RecordKindOps& ResolverSettingKindOps();  // resolver.cc
const KindRenderer* ResolverSettingRenderer();
const RecordKindOps& FileKindOps();  // resolver.cc
const KindRenderer* FileRenderer();

}  // namespace netsnap
