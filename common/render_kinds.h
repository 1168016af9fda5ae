// Per-kind renderers behind render.h. Each kind's codec file provides its renderer; a kind
// without one renders as hex.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "netsnap/record.h"
#include "netsnap/status.h"

namespace netsnap {

struct KindRenderer {
  Status (*to_json)(RecordRef rec, boost::json::object* out);
  Status (*key_json)(RecordRef rec, boost::json::object* out);
  Status (*to_text)(RecordRef rec, std::string* out);
  // to_json's object serialized, appended without building it; null when the kind has no
  // faster way than serializing to_json's.
  Status (*append_json)(RecordRef rec, std::string* out);
};

const KindRenderer* RouteRenderer();
const KindRenderer* RuleRenderer();      // rule.cc
const KindRenderer* NexthopRenderer();   // nexthop.cc
const KindRenderer* ResolverRenderer();  // resolver.cc: resolver rules, settings and files

}  // namespace netsnap
