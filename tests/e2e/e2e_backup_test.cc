// Backup, export and the store format marker with the real snapshotd and netsnap binaries:
// a backup taken while routes churn is opened by a second daemon and every version checked;
// POST /v1/backup refuses untrusted paths and callers; `snapshotd backup OUT` works through a
// running daemon and without one; a store with an unknown format is refused at start; `netsnap
// export` streams what the API holds.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "harness.h"
#include "netns.h"
#include "shell.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;
using netsnap::testing::Shell;

int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

std::string Body(const std::string& path) { return json::serialize(json::object{{"path", path}}); }

// Every version header of `source` the daemon lists, oldest first.
std::vector<json::object> AllVersions(const Snapshotd& d, const std::string& source) {
  std::vector<json::object> out;
  std::string cursor;
  for (;;) {
    json::value page = d.GetJson("/v1/sources/" + source + "/versions?order=asc&limit=1000" +
                                 (cursor.empty() ? "" : "&cursor=" + cursor));
    if (!page.is_object()) return out;
    for (const json::value& v : page.at("versions").as_array()) out.push_back(v.as_object());
    if (!page.at("next_cursor").is_string()) return out;
    cursor = std::string(page.at("next_cursor").as_string());
  }
}

// Adds and deletes routes in `ns` every 20 ms until stopped: a writer the daemon commits from.
class Churn {
 public:
  explicit Churn(const NetNs& ns)
      : thread_([this, &ns] {
          for (int i = 0; !stop_; ++i) {
            std::string route = "10.7." + std::to_string(i % 200) + ".0/24";
            (void)ns.Ip("route add " + route + " via 10.99.0.2 dev a0");  // exists after wrap
            if (i % 3 == 0)
              (void)ns.Ip("route del 10.7." + std::to_string((i / 3) % 200) + ".0/24");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // paces the writer
          }
        }) {}
  ~Churn() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

TEST(E2eBackup, TakenWhileRoutesChurnAndVerifiedByASecondDaemon) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  ASSERT_TRUE(d.WaitForVersion("k", [](const json::object&) { return true; }).is_object());
  Churn churn(ns);
  json::value before =
      d.WaitForVersion("k", [](const json::object& h) { return Int(h.at("version")) >= 10; });
  ASSERT_TRUE(before.is_object());

  // The copy goes where a second daemon's store lives: DIR/data/store.
  Snapshotd second;
  ASSERT_EQ(mkdir(second.dir().Sub("data").c_str(), 0700), 0);
  const std::string copy = second.dir().Sub("data/store");
  HttpReply r = d.Post("/v1/backup", Body(copy));
  int64_t after_backup = Int(d.Latest("k").at("version"));
  ASSERT_EQ(r.status, 201) << r.body;
  json::value report = r.Json();
  EXPECT_EQ(report.at("path"), json::value(copy));
  EXPECT_EQ(Int(report.at("sources")), 1);
  EXPECT_GE(Int(report.at("versions")), Int(before.at("version")));
  EXPECT_GT(Int(report.at("bytes")), 0);
  // Capture kept committing across the backup.
  ASSERT_TRUE(d.WaitForVersion("k", [&](const json::object& h) {
                 return Int(h.at("version")) > after_backup;
               }).is_object());
  churn.Stop();

  // The second daemon, with no source of its own, serves the copied history: every version's
  // header matches the first daemon's, and every version's records come back (the store
  // rebuilds each and checks its content hash before it answers).
  second.Configure("");
  ASSERT_TRUE(second.Start());
  std::vector<json::object> copied = AllVersions(second, "k");
  std::vector<json::object> original = AllVersions(d, "k");
  ASSERT_EQ(static_cast<int64_t>(copied.size()), Int(report.at("versions")));
  ASSERT_LE(copied.size(), original.size());
  for (size_t i = 0; i < copied.size(); ++i) {
    EXPECT_EQ(copied[i].at("version"), original[i].at("version"));
    EXPECT_EQ(copied[i].at("hash"), original[i].at("hash")) << i;
    const std::string v = std::to_string(Int(copied[i].at("version")));
    HttpReply rec = second.Get("/v1/sources/k/versions/" + v);
    ASSERT_EQ(rec.status, 200) << v << ": " << rec.body;
    EXPECT_EQ(rec.Json().at("hash"), original[i].at("hash"));
    EXPECT_EQ(static_cast<int64_t>(rec.Json().at("records").as_array().size()),
              Int(original[i].at("records")));
  }
}

TEST(E2eBackup, RefusesUntrustedCallersAndPaths) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  auto refused = [&](const std::string& body, int status, const std::string& code,
                     const std::string& words, const std::string& token = kOperatorToken) {
    HttpReply r = d.Post("/v1/backup", body, {}, token);
    EXPECT_EQ(r.status, status) << body << ": " << r.body;
    EXPECT_EQ(r.ErrorCode(), code) << r.body;
    EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
  };
  const std::string fresh = d.dir().Sub("fresh");
  refused(Body(fresh), 401, "unauthorized", "", "");
  refused(Body(fresh), 403, "forbidden", "operator", kViewerToken);
  refused(Body("backups/today"), 400, "invalid_argument", "absolute");
  refused("{}", 400, "invalid_argument", "path");
  ASSERT_EQ(mkdir(d.dir().Sub("exists").c_str(), 0700), 0);
  refused(Body(d.dir().Sub("exists")), 409, "conflict", "exists");
  ASSERT_EQ(mkdir(d.dir().Sub("real").c_str(), 0700), 0);
  ASSERT_EQ(symlink(d.dir().Sub("real").c_str(), d.dir().Sub("link").c_str()), 0);
  refused(Body(d.dir().Sub("link/new")), 409, "refused", "symbolic link");
  ASSERT_EQ(mkdir(d.dir().Sub("open").c_str(), 0700), 0);
  ASSERT_EQ(chmod(d.dir().Sub("open").c_str(), 0777), 0);
  refused(Body(d.dir().Sub("open/new")), 409, "refused", "writable by group or others");
  // Nothing was written through any of them.
  EXPECT_FALSE(std::filesystem::exists(fresh));
  EXPECT_TRUE(std::filesystem::is_empty(d.dir().Sub("real")));
  EXPECT_TRUE(std::filesystem::is_empty(d.dir().Sub("open")));
}

TEST(E2eBackup, TheCommandAsksTheRunningDaemonOrOpensTheStoreItself) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  ASSERT_TRUE(d.WaitForVersion("k", [](const json::object&) { return true; }).is_object());
  const std::string cmd =
      std::string(SnapshotdPath()) + " --config " + d.config_path() + " backup ";

  // Running: through its socket (the daemon's audit names the backup).
  std::string out;
  EXPECT_EQ(Shell(cmd + d.dir().Sub("through-daemon") + " 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("1 sources"), std::string::npos) << out;
  EXPECT_NE(out.find("versions verified"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(d.dir().Sub("through-daemon/CURRENT")));
  ASSERT_TRUE(d.WaitForEvent("audit", [](const json::object& e) {
                 return e.contains("path") && e.at("path").is_string() &&
                        e.at("path").as_string().ends_with("through-daemon");
               }).is_object());
  // A refused path: exit 1 and the daemon's reason.
  EXPECT_EQ(Shell(cmd + d.dir().Sub("through-daemon") + " 2>&1", &out), 1) << out;
  EXPECT_NE(out.find("exists"), std::string::npos) << out;

  // Stopped: the command opens the store itself; a relative path is made absolute.
  ASSERT_EQ(d.Stop(), 0);
  EXPECT_EQ(Shell("cd " + d.dir().path() + " && " + cmd + "offline 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("backup at " + d.dir().Sub("offline")), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(d.dir().Sub("offline/CURRENT")));

  // Running without a socket: RocksDB's lock refuses the command, which says what to do.
  std::string text = ReadFile(d.config_path());
  const std::string socket_line = "socket = \"" + d.dir().Sub("api.sock") + "\"";
  size_t at = text.find(socket_line);
  ASSERT_NE(at, std::string::npos) << text;
  WriteFile(d.config_path(), text.replace(at, socket_line.size(), "socket = \"\""));
  ASSERT_TRUE(d.Start());
  EXPECT_EQ(Shell(cmd + d.dir().Sub("locked") + " 2>&1", &out), 1) << out;
  EXPECT_NE(out.find("lock"), std::string::npos) << out;
  EXPECT_NE(out.find("POST /v1/backup"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(d.dir().Sub("locked")));
}

// Sets the store's format marker as a newer build would.
void SetFormatMarker(const std::string& store, const std::string& value) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), store, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), store, cfs, &handles, &db).ok());
  size_t meta = std::find(names.begin(), names.end(), "meta") - names.begin();
  ASSERT_LT(meta, names.size());
  EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), handles[meta], "store_format", value).ok());
  for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  delete db;
}

TEST(E2eStoreFormat, AnUnknownFormatIsRefusedAtStart) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  ASSERT_TRUE(d.WaitForVersion("k", [](const json::object&) { return true; }).is_object());
  ASSERT_EQ(d.Stop(), 0);
  SetFormatMarker(d.dir().Sub("data/store"), "7");
  std::filesystem::remove(d.log_path());
  EXPECT_EQ(d.StartExpectingExit(), 1);
  std::string log = d.Log();
  EXPECT_NE(log.find("has format 7; this build reads format 1 only"), std::string::npos) << log;
  EXPECT_NE(log.find("restore a backup"), std::string::npos) << log;
  // And the marker of a format it knows lets it start again.
  SetFormatMarker(d.dir().Sub("data/store"), "1");
  EXPECT_TRUE(d.Start());
}

TEST(E2eExport, StreamsEveryVersionAsTheApiHasIt) {
  NetNs ns;
  Snapshotd d;
  d.Configure(KernelSource("k", ns.path()));
  ASSERT_TRUE(d.Start());
  ASSERT_TRUE(d.WaitForVersion("k", [](const json::object&) { return true; }).is_object());
  for (int i = 0; i < 4; ++i) {
    int64_t before = Int(d.Latest("k").at("version"));
    ASSERT_EQ(ns.Ip("route add 10.8." + std::to_string(i) + ".0/24 via 10.99.0.2 dev a0"), 0);
    ASSERT_TRUE(d.WaitForVersion("k", [&](const json::object& h) {
                   return Int(h.at("version")) > before;
                 }).is_object());
  }
  ASSERT_TRUE(WaitFor([&] {
    return d.Get("/v1/sources/k/versions/latest?format=text").body.find("10.8.3.0/24") !=
           std::string::npos;
  }));
  // The kernel may add versions of its own (IPv6 link-local routes): export up to these.
  std::vector<json::object> versions = AllVersions(d, "k");
  ASSERT_GE(versions.size(), 5u);
  const std::string last(versions.back().at("time").as_string());

  // jsonl: every line parses; one "version" line per version, then its records.
  CliResult all = d.Cli({"export", "k", "--format", "jsonl", "--until", last});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::istringstream lines(all.out);
  std::string line;
  std::vector<int64_t> seen;
  std::map<int64_t, json::array> records;
  while (std::getline(lines, line)) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    const json::object& o = v.as_object();
    if (o.at("type") == "version") {
      seen.push_back(Int(o.at("version")));
      EXPECT_EQ(o.at("source"), "k");
      EXPECT_EQ(o.at("hash"), versions[seen.size() - 1].at("hash"));
    } else {
      ASSERT_EQ(o.at("type"), "record") << line;
      records[Int(o.at("version"))].push_back(o.at("record"));
    }
  }
  ASSERT_EQ(seen.size(), versions.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], Int(versions[i].at("version")));
    EXPECT_EQ(static_cast<int64_t>(records[seen[i]].size()), Int(versions[i].at("records")));
  }
  const int64_t third = Int(versions[2].at("version"));
  json::value api = d.GetJson("/v1/sources/k/versions/" + std::to_string(third));
  EXPECT_EQ(records[third], api.at("records").as_array());

  // --since/--until: inclusive bounds on the capture time.
  const std::string since(versions[1].at("time").as_string());
  const std::string until(versions[3].at("time").as_string());
  CliResult range = d.Cli({"export", "k", "--since", since, "--until", until});
  ASSERT_EQ(range.exit_code, 0) << range.err;
  std::istringstream rl(range.out);
  std::vector<int64_t> in_range;
  while (std::getline(rl, line)) {
    json::value v = json::parse(line);
    if (v.at("type") == "version") in_range.push_back(Int(v.at("version")));
  }
  EXPECT_EQ(in_range, (std::vector<int64_t>{Int(versions[1].at("version")), third,
                                            Int(versions[3].at("version"))}));

  // --diffs: the first version whole, then each later one's changes, as its header counts them.
  CliResult diffs = d.Cli({"export", "k", "--since", since, "--until", last, "--diffs"});
  ASSERT_EQ(diffs.exit_code, 0) << diffs.err;
  std::istringstream dl(diffs.out);
  std::map<std::string, int64_t> types;
  while (std::getline(dl, line)) ++types[std::string(json::parse(line).at("type").as_string())];
  std::map<std::string, int64_t> counted;
  for (size_t i = 2; i < versions.size(); ++i) {
    for (const char* kind : {"added", "removed", "changed"}) {
      counted[kind] += Int(versions[i].at(kind));
    }
  }
  EXPECT_EQ(types["version"], static_cast<int64_t>(versions.size()) - 1);
  EXPECT_EQ(types["record"], Int(versions[1].at("records")));
  EXPECT_EQ(types["added"], counted["added"]);
  EXPECT_EQ(types["removed"], counted["removed"]);
  EXPECT_EQ(types["changed"], counted["changed"]);
  EXPECT_GE(types["added"], 2);  // 10.8.2.0/24 and 10.8.3.0/24 at least

  // text: a "#" line per version, then its records as `ip route` prints them.
  CliResult text = d.Cli({"export", "k", "--format", "text", "--until", last});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  size_t headers = 0;
  for (size_t p = 0; (p = text.out.find("# k version ", p)) != std::string::npos; ++p) ++headers;
  EXPECT_EQ(headers, versions.size());
  EXPECT_NE(text.out.find("10.8.3.0/24 via 10.99.0.2"), std::string::npos) << text.out;

  // Errors: an unknown source (3), a bad format (2).
  EXPECT_EQ(d.Cli({"export", "nope"}).exit_code, 3);
  EXPECT_EQ(d.Cli({"export", "k", "--format", "xml"}).exit_code, 2);
}

}  // namespace
}  // namespace netsnap::e2e
