// The interface every source of configuration plugs into the daemon through. A source captures
// the live state of one thing (a network namespace's routing, a resolver's configuration files),
// delivers it to a CaptureSink, and can change the live state back (rollback).
//
// Adding a kind of source is one new file implementing Source plus one line in registry.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netsnap/record.h"
#include "netsnap/status.h"
#include "netsnap/version.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace netsnap {

// A condition that does not stop capture but that an operator must fix.
struct SourceWarning {
  std::string type;     // the event type it is published as: "unsafe_path"
  std::string message;  // names the path and the problem
  bool operator==(const SourceWarning&) const = default;
};

// Who made the changes a delivery holds, as the source knows it by fact, never by time:
// kDaemon when they are the outcome of the daemon's own Apply (the kernel: notifications carrying
// the port id of the socket Apply writes through; a resolver: files whose content is what Apply
// wrote there), kOther for anything else, unknown writers included. The recorder stamps a
// rollback's cause and actor on kDaemon deliveries only (recorder.h), so a change another
// process makes while a rollback applies keeps its own actor and is inspected by detection.
// A full re-read that covers both the daemon's writes and others' (a re-dump after a
// notification overflow while Apply runs) cannot tell them apart: the source delivers it as
// kDaemon, as inspecting the daemon's own writes would report a rollback as damage (and a
// restore policy would fight it).
enum class Writer : uint8_t { kOther, kDaemon };

// Where a source's captures go. Calls come from the source's own thread; implementations are
// thread-safe. A source delivers a full snapshot first and then either full snapshots or deltas
// relative to what it delivered before. A delivery holds the changes of one writer (see Writer).
class CaptureSink {
 public:
  virtual ~CaptureSink() = default;
  // The complete live state at time_ns.
  virtual void OnSnapshot(Snapshot snapshot, Cause cause, const Actor& actor, int64_t time_ns,
                          Writer writer) = 0;
  // Changes to the last delivered state (a debounced burst of notifications).
  virtual void OnChanges(Delta changes, Cause cause, const Actor& actor, int64_t time_ns,
                         Writer writer) = 0;
  // A capture failed; the source keeps trying. Shown in /v1/health.
  virtual void OnError(const Status& error) = 0;
  // A counter the source wants exported in /metrics ("netlink_overflows", ...).
  virtual void Count(std::string_view counter, uint64_t n = 1) = 0;
  // The source's warnings now, replacing those reported before (empty: none). Shown in
  // /v1/health; each one not reported before is also published as an event of its type.
  virtual void OnWarnings(std::vector<SourceWarning> warnings) { (void)warnings; }
  // The source's capture thread is alive: called from its loop at least every kAliveIntervalMs
  // while it runs, so that a stuck thread shows (the systemd watchdog, docs/operations.md).
  virtual void Alive() {}
  static constexpr int kAliveIntervalMs = 1000;
};

// The outcome of applying changes to the live state.
struct ApplyFailure {
  std::string key;      // record key
  std::string message;  // e.g. the kernel's error
};
struct ApplyResult {
  uint64_t applied = 0;
  std::vector<ApplyFailure> failures;
};

class Source {
 public:
  virtual ~Source() = default;

  const std::string& name() const { return name_; }
  // "kernel", "resolver", ...
  virtual std::string_view kind() const = 0;
  // What the source watches, for people: "netns blue", "/etc/resolv.conf".
  virtual std::string where() const = 0;
  // The network namespace the source lives in ("/run/netns/blue"), "" for the daemon's own.
  // Rollback probes run there.
  virtual std::string NetnsPath() const { return ""; }

  // Starts continuous capture on threads the source owns. The first delivery is a full snapshot
  // with cause kStartup. Returns once the first snapshot has been delivered or failed.
  virtual Status Start(CaptureSink* sink) = 0;
  // Stops capture; no sink call happens after Stop returns.
  virtual void Stop() = 0;

  // Reads the complete live state now.
  virtual Status ReadLive(Snapshot* out) = 0;

  // A barrier: returns once every change made to the live state before the call has been
  // delivered to the sink (pending notifications are read and delivered at once, without
  // waiting for the debounce). Lets rollback use the recorder's state instead of a full read.
  // Sources that cannot do this return Unavailable, and callers use ReadLive instead.
  virtual Status Sync() { return Status::Unavailable("this source has no sync barrier"); }
  // Callers waiting in Sync right now: lets a test see that waiters exist before it stops.
  virtual size_t SyncWaiters() { return 0; }

  // Changes the live state by `changes`, a whole delta in any order (value: put the record;
  // nullopt: remove it). The source orders it make-before-break (the kernel's order:
  // kernel_apply.h), applies what it can and reports each record that failed. Used by rollback,
  // which plans and verifies.
  // The capture of what Apply changed reaches the sink marked Writer::kDaemon.
  virtual Status Apply(const Delta& changes, ApplyResult* result) = 0;

 protected:
  explicit Source(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// What a [[source]] table in the configuration says.
struct SourceSpec {
  std::string name;
  std::string kind;
  const toml::table* config = nullptr;  // the [[source]] table; null for embedded defaults
};

}  // namespace netsnap
