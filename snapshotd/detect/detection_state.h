// Detection state that outlives the daemon (docs/detection.md, "Restarts and reloads"): a
// source's pause and a policy set over the API, kept in the store's meta (synced writes) under
// "detect/pause/<source>" and "detect/policy/<source>".
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>

#include "detect/policy.h"
#include "netsnap/status.h"
#include "netsnap/store.h"

namespace netsnap {

struct StoredPause {
  int64_t until_ns = 0;  // INT64_MAX: until resumed
  std::string reason;
  std::string who;  // the API principal that paused
};

// A policy set at run time, with the configured policy it replaced: a restart keeps it only
// while the configuration file's policy for the source is still that one.
struct StoredPolicy {
  boost::json::object policy;      // PolicyToJson of the policy set
  boost::json::object configured;  // PolicyToJson of the configured policy then
};

Status SavePause(Store* store, const std::string& source, const StoredPause& p);
Status DeletePause(Store* store, const std::string& source);
Status SavePolicy(Store* store, const std::string& source, const DetectPolicy& set,
                  const DetectPolicy& configured);
Status DeletePolicy(Store* store, const std::string& source);

// Every stored pause and policy by source. A record that does not decode is deleted with a
// warning (a daemon must start whatever its meta holds).
Status LoadDetectionState(Store* store, std::map<std::string, StoredPause>* pauses,
                          std::map<std::string, StoredPolicy>* policies);

}  // namespace netsnap
