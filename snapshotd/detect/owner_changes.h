// Owner changes and owner exits (docs/detection.md, "Owners"). A route's owner is the set of
// processes that own its protocol (netsnap/route_protocols.h). In one version (one writer):
//
// - a change that an owner process makes to routes of its own protocol (an added route, a
//   removed one, or one changed whose old and new protocol it both owns) is an owner change:
//   reported as an `owner_change` event, never damage, never restored, never counted toward a
//   conflict;
// - routes of an owned protocol removed when their owner has exited — the writer was an owner
//   that removed every route of the protocol and is gone, or the writer is unknown (the kernel,
//   or a process already gone) and no owner process runs — are an owner exit: an `owner_exit`
//   event, restored only with the policy's restore_owner_exit;
// - anything else (another process changing an owned route) is left to the detectors, as
//   damage.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/recorder.h"
#include "detect/finding.h"
#include "netsnap/route_protocols.h"

namespace netsnap {

struct OwnerCounts {
  uint64_t added = 0, removed = 0, changed = 0;
};

struct OwnerVerdict {
  std::map<uint8_t, OwnerCounts> changes;  // owner changes by protocol
  std::map<uint8_t, uint64_t> exits;       // routes removed by an owner exit, by protocol
  std::vector<std::string> owner_keys;     // sorted keys of both: not damage
  std::vector<std::string> exit_keys;      // sorted keys of the owner exit
  bool all = false;  // every change of the version is an owner change or an owner exit
};

// Sorts the changes of `diff` (v.before -> v.after, one writer: v.current.actor). When an owner
// removed every route of its protocol (how a daemon that stops withdraws), waits up to
// `exit_wait` for the process to be gone before it decides between change and exit.
OwnerVerdict ClassifyOwners(const VersionCommitted& v, const Diff& diff,
                            const RouteProtocols& protocols,
                            std::chrono::milliseconds exit_wait = std::chrono::seconds(1));

// Removes the owner keys from the findings' restore keys; a finding left with nothing to
// restore and whose records were all the owner's is dropped.
void DropOwnerDamage(const OwnerVerdict& verdict, std::vector<Finding>* findings);

// The `owner_change` and `owner_exit` events of a verdict ({type, fields}), with counts, the
// protocols by name, their owner processes and the writer.
std::vector<std::pair<std::string, boost::json::object>> OwnerEvents(
    const OwnerVerdict& verdict, const VersionCommitted& v, const RouteProtocols& protocols,
    bool restore_exit);

// The finding that restores an owner exit (kind "owner_exit"); restore_keys empty when none.
Finding OwnerExitFinding(const OwnerVerdict& verdict, const VersionCommitted& v);

}  // namespace netsnap
