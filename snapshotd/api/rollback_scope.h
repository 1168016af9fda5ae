// A rollback's scope: which records it may touch. Every dimension given must match (tables and
// prefixes select routes; domains and files select resolver records). An empty scope is
// everything.
#pragma once

#include <boost/json/object.hpp>
#include <set>
#include <string>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/route.h"
#include "netsnap/status.h"

namespace netsnap::api {

struct RollbackScope {
  std::set<RecordKind> kinds;
  std::set<uint32_t> tables;
  std::vector<Prefix> prefixes;  // a prefix selects every route it covers
  std::set<std::string> domains;
  std::set<std::string> files;

  // {"kinds":["route"],"tables":["main",100],"prefixes":["10.0.0.0/8"],"domains":[…],"files":[…]}
  static Status FromJson(const boost::json::object& o, RollbackScope* out);
  bool Contains(RecordRef rec) const;
  // The records of `snap` inside the scope.
  Snapshot Filter(const Snapshot& snap) const;
};

}  // namespace netsnap::api
