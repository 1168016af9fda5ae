// Detection end to end: a real daemon, rollback manager and detection over a network namespace
// (or a temp folder) the test creates, changed by scripts as another writer would.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "e2e_env.h"
#include "gen/route_gen.h"
#include "netns.h"

namespace netsnap::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every route of the namespace, IPv4 and IPv6, all tables, as sorted lines.
std::string Dump(const NetNs& ns) {
  std::string a, b;
  ns.Ip("-4 route show table all", &a);
  ns.Ip("-6 route show table all", &b);
  std::vector<std::string> lines;
  std::stringstream ss(a + b);
  // Link-local routes come and go with the kernel's address configuration of the veth pair,
  // on its own schedule: not the test's business.
  for (std::string l; std::getline(ss, l);) {
    if (l.find("fe80::") == std::string::npos) lines.push_back(l);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

int CountRoutes(const NetNs& ns, const std::string& args) {
  std::string out;
  ns.Ip("route show " + args, &out);
  return static_cast<int>(std::count(out.begin(), out.end(), '\n'));
}

std::string KernelToml(const NetNs& ns, const std::string& policy) {
  return "[[source]]\nname = \"k\"\nkind = \"kernel\"\nnetns = \"" + ns.path() +
         "\"\n[[policy]]\nsource = \"k\"\n" + policy;
}

// IpBatchLine starts IPv6 lines with "-6", which `ip -batch` does not take; the address
// family follows from the prefix anyway.
std::string BatchLine(const Route& r) {
  std::string line = tools::IpBatchLine(r);
  return line.starts_with("-6 ") ? line.substr(3) : line;
}

std::string Del(std::string line) {
  size_t at = line.find("route add");
  if (at != std::string::npos) line.replace(at, 9, "route del");
  return line;
}

// A namespace holding 100,000 routes in three tables, shared by the tests that need a big
// table; every test leaves it as it found it.
class BigTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ns_ = new NetNs();
    dir_ = new TempDir();
    tools::GenOptions o;
    o.routes = 100000;
    *routes_ = tools::GenerateRoutes(o);
    std::string batch;
    for (const Route& r : *routes_) batch += BatchLine(r) + "\n";
    WriteFile(dir_->Sub("add.batch"), batch);
    std::string err;
    ASSERT_EQ(Shell("ip -n " + ns_->name() + " -batch " + dir_->Sub("add.batch") + " 2>&1", &err),
              0)
        << err.substr(0, 2000);
  }
  static void TearDownTestSuite() {
    delete ns_;
    delete dir_;
  }
  static NetNs* ns_;
  static TempDir* dir_;
  static std::vector<Route>* routes_;
};
NetNs* BigTable::ns_ = nullptr;
TempDir* BigTable::dir_ = nullptr;
std::vector<Route>* BigTable::routes_ = new std::vector<Route>();

TEST_F(BigTable, ThirtyPercentDeletedIsRestored) {
  DetectEnv env;
  // The default policy: the restore waits for the script to end (300 ms of quiet) however long
  // the deletion takes on a loaded machine (settle_max_ms only reports the wait).
  ASSERT_TRUE(env.Start(KernelToml(*ns_, "action = \"restore\"\n")).ok());
  std::string before = Dump(*ns_);
  std::string batch;
  for (size_t i = 0; i < routes_->size(); ++i) {
    if (i % 10 < 3) batch += Del(BatchLine((*routes_)[i])) + "\n";
  }
  WriteFile(dir_->Sub("del30.batch"), batch);
  // The script: another writer deleting 30% of the table.
  ASSERT_EQ(Shell("ip -n " + ns_->name() + " -batch " + dir_->Sub("del30.batch")), 0);
  StoredEvent ev;
  ASSERT_TRUE(env.WaitForEvent(
      "detection", [](const StoredEvent& e) { return Fields(e)["kind"] == "mass_deletion"; },
      seconds(60), &ev));
  boost::json::object f = Fields(ev);
  EXPECT_EQ(f["action"], "restore");
  EXPECT_LE(f["records"].as_array().size(), kMaxEventRecords);
  EXPECT_GT(f["versions"].as_object()["after"].to_number<uint64_t>(),
            f["versions"].as_object()["before"].to_number<uint64_t>());
  EXPECT_TRUE(env.WaitForEvent(
      "restore", [](const StoredEvent& e) { return Fields(e)["outcome"] == "applied"; },
      seconds(120)));
  EXPECT_TRUE(Eventually([&] { return Dump(*ns_) == before; }, seconds(60)));
  auto rollbacks = env.Events("rollback");
  ASSERT_FALSE(rollbacks.empty());
  EXPECT_EQ(Fields(rollbacks.back())["cause"], "restore");
  EXPECT_GE(env.daemon()->metrics()->Get("netsnap_detections_total",
                                         {{"source", "k"}, {"kind", "mass_deletion"}}),
            1);
}

TEST_F(BigTable, ProtectedDefaultRouteReplacedIsPutBack) {
  ASSERT_EQ(ns_->Ip("route add default via 10.99.0.3 dev a0"), 0);
  {
    DetectEnv env;
    ASSERT_TRUE(env.Start(KernelToml(*ns_, "action = \"restore\"\nsettle_ms = 100\n")).ok());
    ASSERT_EQ(ns_->Ip("route replace default via 10.99.0.4 dev a0"), 0);
    StoredEvent ev;
    ASSERT_TRUE(env.WaitForEvent(
        "detection", [](const StoredEvent& e) { return Fields(e)["kind"] == "protected"; },
        seconds(30), &ev));
    EXPECT_NE(Fields(ev)["actor"].as_object()["pid"].as_int64(), 0);
    EXPECT_TRUE(Eventually(
        [&] {
          std::string out;
          ns_->Ip("route show default", &out);
          return out.find("via 10.99.0.3") != std::string::npos;
        },
        seconds(60)));
  }
  ns_->Ip("route del default");
}

TEST_F(BigTable, LegitimateSmallChangeRaisesNothing) {
  DetectEnv env;
  ASSERT_TRUE(env.Start(KernelToml(*ns_, "action = \"restore\"\nsettle_ms = 100\n")).ok());
  size_t base = env.daemon()->FindSource("k")->current().size();
  std::string batch;
  for (int i = 0; i < 5; ++i) {
    batch += "route add 192.0.2." + std::to_string(i) + "/32 via 10.99.0.3 dev a0\n";
  }
  std::vector<std::string> removed;
  for (const Route& r : *routes_) {
    if (removed.size() == 3) break;
    if (r.table == 254 && r.family == 2 && r.nexthops.empty()) {
      removed.push_back(BatchLine(r));
      batch += Del(removed.back()) + "\n";
    }
  }
  WriteFile(dir_->Sub("small.batch"), batch);
  ASSERT_EQ(ns_->IpBatch(dir_->Sub("small.batch")), 0);
  // The barrier: every notification of the batch delivered (Sync), then inspected.
  ASSERT_TRUE(env.WaitForRecords("k", base + 2, seconds(30)));
  ASSERT_TRUE(env.daemon()->FindSource("k")->source()->Sync().ok());
  ASSERT_TRUE(env.detection()->WaitIdle(seconds(30)));
  EXPECT_TRUE(env.Events("detection").empty());
  EXPECT_TRUE(env.Events("restore").empty());
  env.Stop();
  std::string undo;
  for (int i = 0; i < 5; ++i) undo += "route del 192.0.2." + std::to_string(i) + "/32\n";
  for (const auto& l : removed) undo += l + "\n";
  WriteFile(dir_->Sub("undo.batch"), undo);
  EXPECT_EQ(ns_->IpBatch(dir_->Sub("undo.batch")), 0);
}

// A small namespace with `n` routes in `table`.
void FillTable(const NetNs& ns, const TempDir& dir, int table, int n) {
  std::string batch;
  for (int i = 0; i < n; ++i) {
    batch += "route add 10." + std::to_string(table % 250) + "." + std::to_string(i) +
             ".0/24 via 10.99.0.3 dev a0 table " + std::to_string(table) + "\n";
  }
  WriteFile(dir.Sub("fill.batch"), batch);
  ASSERT_EQ(ns.IpBatch(dir.Sub("fill.batch")), 0);
}

// A writer still deleting past settle_max_ms is waited for, not fought: one `restore_waiting`
// event, then one restore once it has stopped, the table whole and no conflict. (Restoring at
// settle_max_ms, as before, restored under the writer again and again.)
TEST(Detect, ASlowWriterIsWaitedForNotFought) {
  NetNs ns;
  TempDir dir;
  FillTable(ns, dir, 200, 60);
  const std::string before = Dump(ns);
  DetectEnv env;
  ASSERT_TRUE(env.Start(KernelToml(ns,
                                   "action = \"restore\"\nsettle_ms = 1000\nsettle_max_ms = 1000\n"
                                   "cooldown_s = 0\nprotected_tables = [200]\n"))
                  .ok());
  // 40 routes, one `ip` a step, 50 ms apart: 2 s or more of damage, steps far closer together
  // than settle_ms.
  std::string steps;
  for (int i = 0; i < 40; ++i) {
    steps += "ip route del 10.200." + std::to_string(i) + ".0/24 table 200; sleep 0.05\n";
  }
  WriteFile(dir.Sub("slow.sh"), steps + "touch " + dir.Sub("done") + "\n");
  Child writer("ip netns exec " + ns.name() + " sh " + dir.Sub("slow.sh"));
  StoredEvent waiting;
  ASSERT_TRUE(env.WaitForEvent(
      "restore_waiting", [](const StoredEvent&) { return true; }, seconds(60), &waiting));
  EXPECT_NE(Fields(waiting)["reason"].as_string().find("still damages"), std::string::npos)
      << waiting.json;
  ASSERT_TRUE(Eventually([&] { return access(dir.Sub("done").c_str(), F_OK) == 0; }, seconds(60)));
  ASSERT_TRUE(env.WaitForEvent(
      "restore", [](const StoredEvent& e) { return Fields(e)["outcome"] == "applied"; },
      seconds(60)));
  EXPECT_TRUE(Eventually([&] { return Dump(ns) == before; }, seconds(30)));
  // Everything so far delivered and inspected, nothing pending: one restore, after the writer.
  ASSERT_NO_FATAL_FAILURE(env.Settle("k"));
  EXPECT_EQ(env.Events("restore").size(), 1u);
  EXPECT_EQ(env.Events("restore_waiting").size(), 1u);
  EXPECT_TRUE(env.Events("conflict").empty());
  EXPECT_TRUE(env.Events("restore_abandoned").empty());
  EXPECT_EQ(Dump(ns), before);
}

TEST(Detect, FlappingWriterEndsInConflictNamingItsPid) {
  NetNs ns;
  TempDir dir;
  FillTable(ns, dir, 200, 40);
  DetectEnv env;
  ASSERT_TRUE(env.Start(KernelToml(ns,
                                   "action = \"restore\"\nsettle_ms = 200\ncooldown_s = 0.5\n"
                                   "max_restores_per_hour = 3\nconflict_window_s = 10\n"
                                   "conflict_repeats = 3\n"))
                  .ok());
  std::string del;
  for (int i = 0; i < 40; ++i) del += "route del 10.200." + std::to_string(i) + ".0/24 table 200\n";
  WriteFile(dir.Sub("del.batch"), del);
  // Deletes the routes again each time they are back; at most 8 times and 60 s.
  WriteFile(dir.Sub("flap.sh"),
            "end=$(( $(date +%s) + 60 )); i=0\n"
            "while [ $i -lt 8 ] && [ $(date +%s) -lt $end ]; do\n"
            "  if [ $(ip route show table 200 | wc -l) -ge 40 ]; then\n"
            "    sleep 0.5\n"
            "    ip -batch " +
                dir.Sub("del.batch") + " & echo $! >> " + dir.Sub("pids") +
                "\n"
                "    wait $!; i=$((i+1))\n"
                "  fi\n"
                "  sleep 0.05\n"
                "done\n");
  Child writer("ip netns exec " + ns.name() + " sh " + dir.Sub("flap.sh"));
  StoredEvent conflict;
  ASSERT_TRUE(env.WaitForEvent(
      "conflict", [](const StoredEvent&) { return true; }, seconds(90), &conflict));
  writer.Kill();
  std::set<int64_t> pids;
  std::stringstream ss(ReadFile(dir.Sub("pids")));
  for (int64_t p; ss >> p;) pids.insert(p);
  boost::json::object c = Fields(conflict);
  int64_t pid = c["writer"].as_object()["pid"].as_int64();
  EXPECT_TRUE(pids.count(pid)) << "conflict names pid " << pid << ": " << conflict.json;
  auto applied = [&] {
    int n = 0;
    for (const StoredEvent& e : env.Events("restore")) n += Fields(e)["outcome"] == "applied";
    return n;
  };
  int restores = applied();
  EXPECT_GE(restores, 1);
  EXPECT_LE(restores, 3);
  // No restore after the conflict: every change so far delivered (Sync) and inspected, and no
  // restore pending or running, while the writer keeps flapping.
  ASSERT_NO_FATAL_FAILURE(env.Settle("k"));
  boost::json::object policy;
  EXPECT_EQ(applied(), restores);
  ASSERT_TRUE(env.detection()->GetPolicy("k", &policy).ok());
  EXPECT_TRUE(policy["state"].as_object()["conflict"].is_object());
  // One conflict, counted once (docs/api.md, Metrics).
  EXPECT_EQ(env.daemon()->metrics()->Get("netsnap_detect_conflicts_total", {{"source", "k"}}), 1);
  ASSERT_TRUE(env.detection()->Resume("k").ok());
  ASSERT_TRUE(env.detection()->GetPolicy("k", &policy).ok());
  EXPECT_TRUE(policy["state"].as_object()["conflict"].is_null());
}

TEST(Detect, PausedLetsAPlannedChangeThroughAndResumeDetectsAgain) {
  NetNs ns;
  TempDir dir;
  FillTable(ns, dir, 300, 30);
  DetectEnv env;
  ASSERT_TRUE(env.Start(KernelToml(ns, "action = \"restore\"\nsettle_ms = 100\n")).ok());
  size_t base = env.daemon()->FindSource("k")->current().size();
  ASSERT_TRUE(env.detection()->Pause("k", 60LL * 1000000000, "planned maintenance", "test").ok());
  std::string planned;
  for (int i = 0; i < 20; ++i)
    planned += "route del 10.50." + std::to_string(i) + ".0/24 table 300\n";
  WriteFile(dir.Sub("planned.batch"), planned);
  ASSERT_EQ(ns.IpBatch(dir.Sub("planned.batch")), 0);
  // base - 20 is only reached by the batch's last deletion; WaitForRecords then waits until
  // detection is idle, the barrier for "nothing was reported".
  ASSERT_TRUE(env.WaitForRecords("k", base - 20, seconds(30)));
  EXPECT_TRUE(env.Events("detection").empty());
  EXPECT_TRUE(env.Events("restore").empty());
  EXPECT_EQ(CountRoutes(ns, "table 300"), 10);

  ASSERT_TRUE(env.detection()->Resume("k").ok());
  std::string damage;
  for (int i = 20; i < 30; ++i)
    damage += "route del 10.50." + std::to_string(i) + ".0/24 table 300\n";
  WriteFile(dir.Sub("damage.batch"), damage);
  ASSERT_EQ(ns.IpBatch(dir.Sub("damage.batch")), 0);
  EXPECT_TRUE(env.WaitForEvent(
      "detection", [](const StoredEvent&) { return true; }, seconds(30)));
  // Put back as it was after the planned change: 10 routes.
  EXPECT_TRUE(Eventually([&] { return CountRoutes(ns, "table 300") == 10; }, seconds(30)));
}

TEST(Detect, ResolverFileRewrittenIsPutBackByteForByte) {
  TempDir dir;
  std::string path = dir.Sub("resolv.conf");
  const std::string original =
      "# managed by netsnap tests\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n"
      "search corp.example\noptions ndots:2 timeout:1\n";
  WriteFile(path, original);
  DetectEnv env;
  ASSERT_TRUE(env.Start("[[source]]\nname = \"r\"\nkind = \"resolver\"\nformat = \"resolv.conf\"\n"
                        "path = \"" +
                        path +
                        "\"\n[[policy]]\nsource = \"r\"\n"
                        "action = \"restore\"\nsettle_ms = 100\n")
                  .ok());
  ASSERT_EQ(Shell("printf 'nameserver 10.6.6.6\\n' > " + path), 0);
  EXPECT_TRUE(env.WaitForEvent(
      "detection", [](const StoredEvent& e) { return Fields(e)["kind"] == "overwrite"; },
      seconds(30)));
  EXPECT_TRUE(Eventually([&] { return ReadFile(path) == original; }, seconds(30)));
  EXPECT_TRUE(env.WaitForEvent(
      "restore", [](const StoredEvent& e) { return Fields(e)["outcome"] == "applied"; },
      seconds(30)));
}

}  // namespace
}  // namespace netsnap::testing
