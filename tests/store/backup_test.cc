// Online backups of the store (store/backup.h), the checks on where one may go
// (store/backup_target.h), the format marker (store/store_format.h) and the cap on RocksDB's
// info log files, on a real RocksDB in a temp folder.
#include "store/backup.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "route_tables.h"
#include "store/backup_target.h"
#include "store/rocks_logger.h"
#include "store/store_format.h"
#include "temp_dir.h"

namespace netsnap::store {
namespace {

using netsnap::testing::RouteTable;
using netsnap::testing::TempDir;

constexpr int64_t kS = 1000000000;
constexpr int64_t kT0 = 1800000000LL * kS;
const std::vector<std::string> kFamilies = {"default", "versions", "content", "times",
                                            "events",  "meta",     "keylog"};

// Polls `pred` every 5 ms, for at most 30 s.
bool WaitUntil(const std::function<bool()>& pred) {
  for (int i = 0; i < 6000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

std::unique_ptr<Store> OpenStore(const std::string& path) {
  StoreOptions o;
  o.path = path;
  std::unique_ptr<Store> s;
  Status st = Store::Open(o, &s);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

// Opens the store's RocksDB directly with every column family (the meta family is [5]), as an
// older or newer build would.
struct RawDb {
  explicit RawDb(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& f : kFamilies) cfs.emplace_back(f, rocksdb::ColumnFamilyOptions());
    rocksdb::DBOptions o;
    o.info_log = NewDaemonLogger();
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(rocksdb::DB::Open(o, path, cfs, &handles, &raw).ok());
    db.reset(raw);
  }
  ~RawDb() {
    for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  std::string Marker() {
    std::string v;
    return db->Get(rocksdb::ReadOptions(), handles[5], kStoreFormatKey, &v).ok() ? v : "absent";
  }
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
};

TEST(Backup, TakenWhileCommitsGoOnVerifiesEveryVersion) {
  TempDir dir;
  auto store = OpenStore(dir.Sub("db"));
  RouteTable table(2000);
  std::mt19937 rng(7);
  std::atomic<bool> stop = false;
  std::atomic<uint64_t> committed = 0;
  VersionHeader h;
  ASSERT_TRUE(store->Commit("kernel", table.ToSnapshot(), nullptr, {kT0, {}, {}, ""}, &h).ok());
  // The writer commits until the backup is done: commits land before, during and after it.
  std::thread writer([&] {
    for (int64_t i = 1; !stop || committed < 50; ++i) {
      table.Mutate(&rng, 20);
      VersionHeader v;
      Status s =
          store->Commit("kernel", table.ToSnapshot(), nullptr, {kT0 + i * kS, {}, {}, ""}, &v);
      ASSERT_TRUE(s.ok()) << s.ToString();
      committed = v.version;
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return committed >= 20; }));
  uint64_t before = committed;
  BackupReport report;
  Status s = BackupStore(store.get(), dir.Sub("backup"), &report);
  uint64_t after = committed;
  stop = true;
  writer.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.sources, 1u);
  EXPECT_GE(report.versions, before);  // everything acknowledged before the call is in it
  EXPECT_LE(report.versions, after + 1);
  EXPECT_GT(report.records, 0u);
  EXPECT_GT(report.bytes, 0u);

  // The copy holds the store's versions exactly: same headers and content hashes.
  StoreOptions ro;
  ro.path = dir.Sub("backup");
  ro.read_only = true;
  std::unique_ptr<Store> copy;
  ASSERT_TRUE(Store::Open(ro, &copy).ok());
  VersionHeader latest;
  ASSERT_TRUE(copy->Latest("kernel", &latest).ok());
  EXPECT_EQ(latest.version, report.versions);
  for (uint64_t v = 1; v <= latest.version; ++v) {
    VersionHeader a, b;
    Snapshot snap;
    ASSERT_TRUE(copy->Header("kernel", v, &a).ok());
    ASSERT_TRUE(store->Header("kernel", v, &b).ok());
    EXPECT_EQ(a.hash.Hex(), b.hash.Hex()) << v;
    ASSERT_TRUE(copy->Reconstruct("kernel", v, &snap).ok()) << v;
    EXPECT_EQ(snap.hash().Hex(), b.hash.Hex()) << v;
  }
  // Read-only: the copy takes no commit.
  EXPECT_FALSE(copy->Commit("kernel", table.ToSnapshot(), nullptr, {kT0, {}, {}, ""}, &h).ok());
}

TEST(Backup, ADamagedCopyFailsVerification) {
  TempDir dir;
  {
    auto store = OpenStore(dir.Sub("db"));
    RouteTable table(100);
    VersionHeader h;
    ASSERT_TRUE(store->Commit("kernel", table.ToSnapshot(), nullptr, {kT0, {}, {}, ""}, &h).ok());
    BackupReport report;
    ASSERT_TRUE(BackupStore(store.get(), dir.Sub("backup"), &report).ok());
  }
  // Overwrite version 1's content in the copy with another table's.
  {
    RawDb raw(dir.Sub("backup"));
    std::unique_ptr<rocksdb::Iterator> it(
        raw.db->NewIterator(rocksdb::ReadOptions(), raw.handles[2]));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    std::string key = it->key().ToString();
    it.reset();
    auto other_dir = dir.Sub("other");
    auto other = OpenStore(other_dir);
    RouteTable t2(101);
    VersionHeader h;
    ASSERT_TRUE(other->Commit("kernel", t2.ToSnapshot(), nullptr, {kT0, {}, {}, ""}, &h).ok());
    other.reset();
    RawDb o(other_dir);
    std::string content;
    ASSERT_TRUE(o.db->Get(rocksdb::ReadOptions(), o.handles[2], key, &content).ok());
    ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.handles[2], key, content).ok());
  }
  BackupReport report;
  Status s = VerifyStoreCopy(dir.Sub("backup"), &report);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("content hash"), std::string::npos) << s.ToString();
}

TEST(BackupTarget, RefusesPathsItCannotTrust) {
  TempDir dir;
  // Accepted: a new name in a directory only root can write, under sticky /tmp.
  EXPECT_TRUE(CheckBackupTarget(dir.Sub("new")).ok());

  auto expect = [](const std::string& path, Status::Code code, const std::string& words) {
    Status s = CheckBackupTarget(path);
    EXPECT_EQ(s.code(), code) << path << ": " << s.ToString();
    EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
  };
  expect("relative/backup", Status::Code::kInvalidArgument, "absolute");
  expect("", Status::Code::kInvalidArgument, "absolute");
  expect(dir.Sub("a/../new"), Status::Code::kInvalidArgument, "'..'");
  expect(dir.Sub("new/"), Status::Code::kInvalidArgument, "malformed");
  expect(dir.path() + "//new", Status::Code::kInvalidArgument, "empty");
  expect(dir.Sub("missing/new"), Status::Code::kInvalidArgument, "does not exist");

  ASSERT_EQ(mkdir(dir.Sub("exists").c_str(), 0700), 0);
  expect(dir.Sub("exists"), Status::Code::kConflict, "exists");
  // RocksDB would empty a leftover staging directory: through a link, someone else's files.
  ASSERT_EQ(symlink("/etc", dir.Sub("staged.tmp").c_str()), 0);
  expect(dir.Sub("staged"), Status::Code::kConflict, "staged.tmp exists");

  ASSERT_EQ(mkdir(dir.Sub("real").c_str(), 0700), 0);
  ASSERT_EQ(symlink(dir.Sub("real").c_str(), dir.Sub("link").c_str()), 0);
  expect(dir.Sub("link/new"), Status::Code::kRefused, "symbolic link");

  ASSERT_EQ(mkdir(dir.Sub("open").c_str(), 0700), 0);
  ASSERT_EQ(chmod(dir.Sub("open").c_str(), 01777), 0);  // sticky does not help the parent
  expect(dir.Sub("open/new"), Status::Code::kRefused, "writable by group or others");
  ASSERT_EQ(mkdir(dir.Sub("open/deeper").c_str(), 0700), 0);
  EXPECT_TRUE(CheckBackupTarget(dir.Sub("open/deeper/new")).ok());  // sticky above the parent
  ASSERT_EQ(chmod(dir.Sub("open").c_str(), 0770), 0);
  expect(dir.Sub("open/deeper/new"), Status::Code::kRefused, "writable by group or others");

  ASSERT_EQ(mkdir(dir.Sub("theirs").c_str(), 0700), 0);
  ASSERT_EQ(chown(dir.Sub("theirs").c_str(), 65534, 65534), 0);
  expect(dir.Sub("theirs/new"), Status::Code::kRefused, "owned by uid 65534");
}

TEST(StoreFormat, NewAndOldStoresCarryTheMarker) {
  TempDir dir;
  OpenStore(dir.Sub("db")).reset();
  {
    RawDb raw(dir.Sub("db"));
    EXPECT_EQ(raw.Marker(), "1");
    // A store from before the marker.
    ASSERT_TRUE(raw.db->Delete(rocksdb::WriteOptions(), raw.handles[5], kStoreFormatKey).ok());
  }
  OpenStore(dir.Sub("db")).reset();
  RawDb raw(dir.Sub("db"));
  EXPECT_EQ(raw.Marker(), "1");
}

TEST(StoreFormat, AnUnknownFormatIsRefusedWithWhatToDo) {
  TempDir dir;
  OpenStore(dir.Sub("db")).reset();
  {
    RawDb raw(dir.Sub("db"));
    ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.handles[5], kStoreFormatKey, "2").ok());
  }
  StoreOptions o;
  o.path = dir.Sub("db");
  std::unique_ptr<Store> s;
  Status st = Store::Open(o, &s);
  EXPECT_EQ(st.code(), Status::Code::kRefused) << st.ToString();
  EXPECT_NE(st.message().find("has format 2; this build reads format 1"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("restore a backup"), std::string::npos) << st.message();
  RawDb raw(dir.Sub("db"));
  EXPECT_EQ(raw.Marker(), "2");  // left as it was
}

TEST(StoreFormat, ForeignDatabasesAndNewerFamiliesAreRefused) {
  TempDir dir;
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.info_log = NewDaemonLogger();
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir.Sub("foreign"), &raw).ok());
    delete raw;
  }
  StoreOptions o;
  o.path = dir.Sub("foreign");
  std::unique_ptr<Store> s;
  Status st = Store::Open(o, &s);
  EXPECT_EQ(st.code(), Status::Code::kRefused);
  EXPECT_NE(st.message().find("not a netsnap store"), std::string::npos) << st.message();

  OpenStore(dir.Sub("db")).reset();
  {
    RawDb raw(dir.Sub("db"));
    rocksdb::ColumnFamilyHandle* h = nullptr;
    ASSERT_TRUE(raw.db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "future", &h).ok());
    ASSERT_TRUE(raw.db->DestroyColumnFamilyHandle(h).ok());
  }
  o.path = dir.Sub("db");
  st = Store::Open(o, &s);
  EXPECT_EQ(st.code(), Status::Code::kRefused);
  EXPECT_NE(st.message().find("'future'"), std::string::npos) << st.message();
}

TEST(StoreFormat, ReadOnlyOpenCreatesNothing) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.Sub("none");
  o.read_only = true;
  std::unique_ptr<Store> s;
  EXPECT_TRUE(Store::Open(o, &s).IsNotFound());
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("none")));
}

TEST(InfoLog, NoLogFileGrowsInTheStore) {
  TempDir dir;
  {
    auto store = OpenStore(dir.Sub("db"));
    RouteTable table(500);
    std::mt19937 rng(3);
    for (int i = 0; i < 30; ++i) {
      table.Mutate(&rng, 50);
      VersionHeader h;
      ASSERT_TRUE(
          store->Commit("kernel", table.ToSnapshot(), nullptr, {kT0 + i * kS, {}, {}, ""}, &h)
              .ok());
    }
    ASSERT_TRUE(store->Flush().ok());
    ASSERT_TRUE(store->Compact().ok());
  }
  OpenStore(dir.Sub("db")).reset();  // a reopen would rotate a LOG to LOG.old.*
  std::string options_text;
  for (const auto& e : std::filesystem::directory_iterator(dir.Sub("db"))) {
    std::string name = e.path().filename().string();
    EXPECT_NE(name.rfind("LOG", 0), 0u) << "RocksDB wrote an info log file: " << name;
    if (name.rfind("OPTIONS-", 0) == 0) {
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      options_text = ss.str();
    }
  }
  // And should RocksDB ever write one, it is capped.
  EXPECT_NE(options_text.find("max_log_file_size=" + std::to_string(kInfoLogFileBytes)),
            std::string::npos);
  EXPECT_NE(options_text.find("keep_log_file_num=" + std::to_string(kInfoLogFiles)),
            std::string::npos);
}

}  // namespace
}  // namespace netsnap::store
