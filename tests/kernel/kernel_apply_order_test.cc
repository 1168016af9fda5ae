// The apply order is make-before-break (kernel_apply.h): along a chain of connected routes,
// next-hop objects, groups, gateway routes and policy rules into other tables, a delta applied
// whole never leaves a destination unreachable that is reachable before and after it, and the
// kernel never holds a record in a state that is neither its state before nor after the delta.
// Both are checked at every phase boundary, through ApplyChanges' PhaseDone seam.
//
// The states come from a second namespace with the same links, set up with `ip` in an order that
// works, and captured; the deltas between those captures are applied to the test's namespace.
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/render.h"
#include "kernel_test_util.h"
#include "sources/kernel/kernel_apply.h"
#include "sources/kernel/netns.h"
#include "sources/kernel/state_reader.h"

namespace netsnap::testing {
namespace {

// A destination and the firewall mark of the lookup (mark 5 is steered to other tables by rules).
struct Probe {
  std::string dst;
  int mark = 0;
};

const std::vector<Probe> kProbes = {
    {"10.99.0.3"},    {"10.77.0.5"},      {"10.78.0.5"},    {"10.50.0.1"},
    {"10.51.0.1"},    {"10.54.0.1"},      {"10.52.0.1", 5}, {"10.53.0.1", 5},
    {"10.55.0.1", 5}, {"2001:db8:50::1"}, {"fd00:77::5"},
};

// (a) The chain, built from nothing: connected routes that gateways need, next hops, groups,
// routes through gateways and groups in main and table 100, a rule steering mark 5 to table 100.
const std::vector<std::string> kChain = {
    "route add 10.77.0.0/24 dev a0 scope link",
    "route add fd00:77::/64 dev a0",
    "nexthop add id 1 via 10.77.0.5 dev a0",
    "nexthop add id 2 via 10.77.0.6 dev a0",
    "nexthop add id 5 via fd00:77::5 dev a0",
    "nexthop add id 10 group 1/2",
    "nexthop add id 12 group 5",
    "route add 10.50.0.0/16 nhid 10",
    "route add 10.51.0.0/16 via 10.77.0.7",
    "route add 2001:db8:50::/48 nhid 12",
    "route add 10.52.0.0/16 via 10.77.0.7 table 100",
    "route add 10.53.0.0/16 nhid 10 table 100",
    "rule add fwmark 0x5 table 100 pref 100",
};

// (b) From the chain: group 10 changes members (1, 2 -> 3, 4) under a route that stays; a route
// moves from a plain gateway to a new group; mark 5 moves to a new rule and table 101, whose routes
// come in the same delta; a new gateway route needs a new connected route; a route leaves group 12
// for a plain gateway, and the group and its member go.
const std::vector<std::string> kMove = {
    "route add 10.78.0.0/24 dev b0 scope link",
    "nexthop add id 3 via 10.77.0.8 dev a0",
    "nexthop add id 4 via 10.77.0.9 dev a0",
    "nexthop replace id 10 group 3/4",
    "nexthop add id 11 group 3,2/4",
    "route replace 10.51.0.0/16 nhid 11",
    "route add 10.54.0.0/16 via 10.78.0.5",
    "route add 10.52.0.0/16 nhid 11 table 101",
    "route add 10.53.0.0/16 via 10.77.0.9 table 101",
    "route add 10.55.0.0/16 nhid 10 table 101",
    "rule add fwmark 0x5 table 101 pref 90",
    "rule del pref 100",
    "route del 10.52.0.0/16 table 100",
    "route del 10.53.0.0/16 table 100",
    "route replace 2001:db8:50::/48 via fd00:77::6 dev a0",
    "nexthop del id 12",
    "nexthop del id 1",
    "nexthop del id 2",
    "nexthop del id 5",
};

// Whether the namespace's kernel finds a route for the probe.
bool Reachable(const NetNs& ns, const Probe& p) {
  std::string out;
  std::string args = "route get " + p.dst;
  if (p.mark) args += " mark " + std::to_string(p.mark);
  return ns.Ip(args, &out) == 0;
}

std::vector<bool> ReachableAll(const NetNs& ns) {
  std::vector<bool> r;
  for (const Probe& p : kProbes) r.push_back(Reachable(ns, p));
  return r;
}

// A change for people; a removal shows the record as it was in `before`.
std::string Text(const Snapshot& before, const Change& c) {
  if (c.value) return RecordToText({c.key, *c.value});
  auto old = before.Find(c.key);
  return "removed " + (old ? RecordToText(*old) : RecordToText({c.key, ""}));
}

std::vector<std::string> Texts(const Snapshot& before, const Delta& d) {
  std::vector<std::string> out;
  for (const Change& c : d) out.push_back(Text(before, c));
  return out;
}

class KernelApplyOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MakeKernelSource("netns = \"" + ns_.name() + "\"", &src_).ok());
    ASSERT_TRUE(MakeKernelSource("netns = \"" + scratch_.name() + "\"", &scratch_src_).ok());
    int fd = -1;
    ASSERT_TRUE(kernel::OpenNetns(ns_.name(), &fd).ok());
    Status s =
        kernel::RunInNetns(fd, [&] { return kernel::NetlinkSocket::Open({}, 16 << 20, &sock_); });
    close(fd);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(kernel::ReadLinks(sock_.get(), &links_).ok());
  }

  Snapshot ScratchState() {
    Snapshot s;
    EXPECT_TRUE(scratch_src_->ReadLive(&s).ok());
    return s;
  }

  // Applies `delta` to the test namespace whole. At each phase boundary: every change the kernel
  // shows against the state before is one of the delta's, and every probe reachable before and
  // after the delta is reachable. Returns the phases seen.
  std::vector<std::string> ApplyChecked(const Delta& delta, const std::vector<bool>& after) {
    Snapshot before;
    EXPECT_TRUE(src_->ReadLive(&before).ok());
    const std::vector<bool> reachable_before = ReachableAll(ns_);
    std::map<std::string, std::optional<std::string>> wanted;
    for (const Change& c : delta) wanted[c.key] = c.value;
    std::vector<std::string> phases;
    auto check = [&](std::string_view phase) {
      phases.emplace_back(phase);
      Snapshot now;
      ASSERT_TRUE(src_->ReadLive(&now).ok());
      for (const Change& c : ComputeDelta(before, now)) {
        auto w = wanted.find(c.key);
        EXPECT_TRUE(w != wanted.end() && w->second == c.value)
            << "after " << phase << ": " << Text(before, c)
            << " is neither before nor after the delta";
      }
      for (size_t i = 0; i < kProbes.size(); ++i) {
        if (reachable_before[i] && after[i]) {
          EXPECT_TRUE(Reachable(ns_, kProbes[i])) << "after " << phase << ": " << kProbes[i].dst
                                                  << " mark " << kProbes[i].mark << " unreachable";
        }
      }
    };
    ApplyResult result;
    EXPECT_TRUE(kernel::ApplyChanges(sock_.get(), links_, delta, &result, check).ok());
    for (const ApplyFailure& f : result.failures) {
      ADD_FAILURE() << Text(before, {f.key, wanted[f.key]}) << ": " << f.message;
    }
    EXPECT_EQ(result.applied, delta.size());
    Snapshot done;
    EXPECT_TRUE(src_->ReadLive(&done).ok());
    EXPECT_EQ(Texts(before, ComputeDelta(before, done)), Texts(before, delta));
    EXPECT_EQ(ReachableAll(ns_), after);
    return phases;
  }

  NetNs ns_;
  NetNs scratch_;  // where the states are made
  std::unique_ptr<Source> src_;
  std::unique_ptr<Source> scratch_src_;
  std::unique_ptr<kernel::NetlinkSocket> sock_;
  kernel::LinkNames links_;
};

TEST_F(KernelApplyOrder, BuildMoveAndTearDownAChainWithoutLosingReachability) {
  const Snapshot empty = ScratchState();
  const std::vector<bool> reach_empty = ReachableAll(scratch_);
  ASSERT_EQ(IpBatchLines(scratch_, kChain), 0);
  const Snapshot chain = ScratchState();
  const std::vector<bool> reach_chain = ReachableAll(scratch_);
  ASSERT_EQ(IpBatchLines(scratch_, kMove), 0);
  const Snapshot moved = ScratchState();
  const std::vector<bool> reach_moved = ReachableAll(scratch_);
  // Probes that stay reachable across (b), so that its checks have something to hold.
  size_t kept = 0;
  for (size_t i = 0; i < kProbes.size(); ++i) kept += reach_chain[i] && reach_moved[i];
  ASSERT_GE(kept, 7u);

  // (a) From nothing: connected routes must come before the next hops that use them.
  Delta build = ComputeDelta(empty, chain);
  ASSERT_EQ(build.size(), kChain.size());
  std::vector<std::string> phases = ApplyChecked(build, reach_chain);
  EXPECT_EQ(phases,
            (std::vector<std::string>{"connected routes put", "next-hop objects put",
                                      "next-hop groups put", "gateway routes put", "rules put"}));

  // (b) Moves and member changes: every removal waits until nothing that stays uses it.
  phases = ApplyChecked(ComputeDelta(chain, moved), reach_moved);
  EXPECT_EQ(phases.size(), 9u) << "every phase has work in (b)";

  // (c) Tear down: rules, then routes, then groups, then their members.
  phases = ApplyChecked(ComputeDelta(moved, empty), reach_empty);
  EXPECT_EQ(phases,
            (std::vector<std::string>{"rules removed", "routes removed", "next-hop groups removed",
                                      "next-hop objects removed"}));
}

}  // namespace
}  // namespace netsnap::testing
