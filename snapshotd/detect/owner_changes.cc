#include "detect/owner_changes.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>
#include <thread>

#include "detect/detector.h"
#include "netsnap/record_kind.h"

namespace netsnap {

namespace {

// The protocol whose owners own the record (routes and next-hop objects); nullopt for kinds
// without one or a record that does not decode.
std::optional<uint8_t> ProtocolOf(RecordRef rec) { return FacetsOf(rec).owner_protocol; }

// The comm of a live process (not a zombie), from /proc/PID/stat; nullopt when it is gone.
std::optional<std::string> LiveComm(const std::string& pid) {
  int fd = open(("/proc/" + pid + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0) return std::nullopt;
  std::string_view s(buf, static_cast<size_t>(n));
  size_t open_paren = s.find('('), close_paren = s.rfind(')');
  if (open_paren == std::string_view::npos || close_paren == std::string_view::npos ||
      close_paren + 2 >= s.size() || s[close_paren + 2] == 'Z' || s[close_paren + 2] == 'X') {
    return std::nullopt;
  }
  return std::string(s.substr(open_paren + 1, close_paren - open_paren - 1));
}

bool Alive(const Actor& a) {
  if (a.pid <= 0) return false;
  std::optional<std::string> comm = LiveComm(std::to_string(a.pid));
  return comm && *comm == a.process;
}

// Whether any live process is an owner of `proto`.
bool OwnerRunning(const RouteProtocols& protocols, uint8_t proto) {
  DIR* d = opendir("/proc");
  if (!d) return true;  // cannot tell: not an exit
  bool found = false;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::optional<std::string> comm = LiveComm(e->d_name);
    if (comm && protocols.Owns(proto, *comm)) {
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

// Whether `after` still holds a route or next hop of `proto`.
bool HasProtocol(const Snapshot& after, uint8_t proto) {
  for (RecordRef r : after) {
    if (ProtocolOf(r) == proto) return true;
  }
  return false;
}

// Waits (bounded) for the writer to be gone; true when it is.
bool GoneWithin(const Actor& a, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (Alive(a)) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling /proc: no event
  }
  return true;
}

boost::json::array OwnerNames(const RouteProtocols& protocols, uint8_t proto) {
  boost::json::array a;
  for (const std::string& p : protocols.Owners(proto)) a.emplace_back(p);
  return a;
}

}  // namespace

OwnerVerdict ClassifyOwners(const VersionCommitted& v, const Diff& diff,
                            const RouteProtocols& protocols, std::chrono::milliseconds exit_wait) {
  OwnerVerdict out;
  const Actor& w = v.current.actor;
  bool others = false;                                               // a change that is neither
  std::map<uint8_t, std::vector<std::string>> by_owner, by_unknown;  // removals
  for (const Record& r : diff.added) {
    std::optional<uint8_t> p = ProtocolOf(r.ref());
    if (p && protocols.Owns(*p, w.process)) {
      ++out.changes[*p].added;
      out.owner_keys.push_back(r.key);
    } else {
      others = true;
    }
  }
  for (const ChangedRecord& c : diff.changed) {
    std::optional<uint8_t> was = ProtocolOf({c.key, c.old_value});
    std::optional<uint8_t> is = ProtocolOf({c.key, c.new_value});
    if (was && is && protocols.Owns(*was, w.process) && protocols.Owns(*is, w.process)) {
      ++out.changes[*is].changed;
      out.owner_keys.push_back(c.key);
    } else {
      others = true;
    }
  }
  for (const Record& r : diff.removed) {
    std::optional<uint8_t> p = ProtocolOf(r.ref());
    if (p && protocols.Owns(*p, w.process)) {
      by_owner[*p].push_back(r.key);
    } else if (p && w.process.empty() && !protocols.Owners(*p).empty()) {
      by_unknown[*p].push_back(r.key);
    } else {
      others = true;
    }
  }
  auto exit = [&](uint8_t p, std::vector<std::string>& keys) {
    out.exits[p] += keys.size();
    out.exit_keys.insert(out.exit_keys.end(), keys.begin(), keys.end());
    out.owner_keys.insert(out.owner_keys.end(), keys.begin(), keys.end());
  };
  for (auto& [p, keys] : by_owner) {
    // A daemon that stops withdraws all its routes, then exits: give it a moment to be gone.
    // An owner that removes some of its routes and exits (a one-shot tool) made a change.
    bool gone = !HasProtocol(v.after, p) && GoneWithin(w, exit_wait);
    if (gone) {
      exit(p, keys);
    } else {
      out.changes[p].removed += keys.size();
      out.owner_keys.insert(out.owner_keys.end(), keys.begin(), keys.end());
    }
  }
  for (auto& [p, keys] : by_unknown) {
    if (OwnerRunning(protocols, p)) {
      others = true;  // the owner runs: someone else removed its routes
    } else {
      exit(p, keys);
    }
  }
  SortUnique(&out.owner_keys);
  SortUnique(&out.exit_keys);
  out.all = !others && !out.owner_keys.empty();
  return out;
}

void DropOwnerDamage(const OwnerVerdict& verdict, std::vector<Finding>* findings) {
  if (verdict.owner_keys.empty()) return;
  auto owned = [&](const std::string& key) {
    return std::binary_search(verdict.owner_keys.begin(), verdict.owner_keys.end(), key);
  };
  std::erase_if(*findings, [&](Finding& f) {
    bool had = !f.restore_keys.empty();
    std::erase_if(f.restore_keys, owned);
    bool all_owned = std::all_of(f.records.begin(), f.records.end(),
                                 [&](const DamagedRecord& r) { return owned(r.key); });
    return had && f.restore_keys.empty() && all_owned;
  });
}

std::vector<std::pair<std::string, boost::json::object>> OwnerEvents(
    const OwnerVerdict& verdict, const VersionCommitted& v, const RouteProtocols& protocols,
    bool restore_exit) {
  std::vector<std::pair<std::string, boost::json::object>> events;
  auto base = [&](uint8_t proto) {
    boost::json::object o;
    o["protocol"] = protocols.Name(proto);
    o["processes"] = OwnerNames(protocols, proto);
    o["writer"] = ActorToJson(v.current.actor);
    o["versions"] = {{"before", v.previous.version}, {"after", v.current.version}};
    return o;
  };
  for (const auto& [proto, c] : verdict.changes) {
    boost::json::object o = base(proto);
    o["counts"] = {{"added", c.added}, {"removed", c.removed}, {"changed", c.changed}};
    o["summary"] = protocols.Name(proto) + ": " + std::to_string(c.added) + " added, " +
                   std::to_string(c.removed) + " removed, " + std::to_string(c.changed) +
                   " changed by their owner " +
                   (v.current.actor.process.empty() ? "" : v.current.actor.process);
    events.emplace_back("owner_change", std::move(o));
  }
  for (const auto& [proto, removed] : verdict.exits) {
    boost::json::object o = base(proto);
    o["counts"] = {{"removed", removed}};
    o["action"] = restore_exit ? "restore" : "alert";
    o["summary"] = protocols.Name(proto) + ": " + std::to_string(removed) +
                   " routes vanished with their owner, which is no longer running";
    events.emplace_back("owner_exit", std::move(o));
  }
  return events;
}

Finding OwnerExitFinding(const OwnerVerdict& verdict, const VersionCommitted& v) {
  Finding f = NewFinding("owner_exit", v);
  f.summary = std::to_string(verdict.exit_keys.size()) + " routes vanished with their owner";
  f.restore_keys = verdict.exit_keys;
  return f;
}

}  // namespace netsnap
