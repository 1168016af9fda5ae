// A store older than the key log, through the real daemon: versions written by a netsnap
// without the log have no entries in it and no `logfrom/` marker. The test makes such a store
// by stopping the daemon and deleting both, as an older netsnap would have left it. Lookups at
// those versions must answer what was then (the daemon rebuilds them), and a record's history
// must say where the log starts instead of leaving out the changes before it.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>

#include "harness.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;

// Removes every key-log entry and every `logfrom/` marker from the stopped daemon's store.
void ForgetTheKeyLog(const std::string& path) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const std::string& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteBatch batch;
  size_t markers = 0, entries = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (names[i] == "keylog") {
        ++entries;
        ASSERT_TRUE(batch.Delete(handles[i], it->key()).ok());
      } else if (names[i] == "meta" && it->key().starts_with("logfrom/")) {
        ++markers;
        ASSERT_TRUE(batch.Delete(handles[i], it->key()).ok());
      }
    }
  }
  EXPECT_EQ(markers, 1u);  // the source's
  EXPECT_GT(entries, 0u);  // the change of its second version
  ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &batch).ok());
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
}

TEST(LookupOldStore, VersionsOlderThanTheLogAnswerWhatWasThen) {
  Snapshotd d;
  const std::string resolv = WriteResolvConf(d, "nameserver 10.9.0.1\n");
  d.Configure(ResolverSource("r", "resolv.conf", resolv));
  ASSERT_TRUE(d.Start());
  auto newer_than = [&](int64_t v) {
    return d.WaitForVersion(
        "r", [v](const json::object& h) { return h.at("version").to_number<int64_t>() > v; });
  };
  json::value v1 = newer_than(0);
  ASSERT_TRUE(v1.is_object());
  WriteResolvConf(d, "nameserver 10.9.0.2\n");
  json::value v2 = newer_than(v1.at("version").to_number<int64_t>());
  ASSERT_TRUE(v2.is_object());
  ASSERT_EQ(d.Stop(), 0);
  ForgetTheKeyLog(d.dir().Sub("data/store"));

  ASSERT_TRUE(d.Start());
  WriteResolvConf(d, "nameserver 10.9.0.3\n");
  const int64_t last = v2.at("version").to_number<int64_t>();
  json::value v3 = newer_than(last);
  ASSERT_TRUE(v3.is_object());
  ASSERT_EQ(v3.at("version").to_number<int64_t>(), last + 1);

  auto lookup = [&](const json::value& at) {
    return d.GetJson("/v1/sources/r/lookup?name=db.corp.example&at=" +
                     std::string(at.at("time").as_string()));
  };
  auto server = [](const json::value& a) -> std::string {
    const json::value* rule = a.is_object() ? a.as_object().if_contains("rule") : nullptr;
    if (!rule || !rule->is_object()) return "no rule: " + json::serialize(a);
    return std::string(rule->at("targets").at(0).at("address").as_string());
  };
  const json::value a1 = lookup(v1), a2 = lookup(v2), a3 = lookup(v3);
  EXPECT_EQ(server(a1), "10.9.0.1");
  EXPECT_EQ(server(a2), "10.9.0.2");
  EXPECT_EQ(server(a3), "10.9.0.3");
  // Before the log, the answer holds for its version; how far around it is unknown.
  EXPECT_EQ(a1.at("held").at("complete"), false) << json::serialize(a1);
  EXPECT_EQ(a1.at("held").at("since").at("version"), v1.at("version"));
  // From the log's first version on, the run is exact: it began there.
  EXPECT_EQ(a3.at("held").at("since").at("version"), v3.at("version")) << json::serialize(a3);
  EXPECT_EQ(a3.at("held").at("complete"), true) << json::serialize(a3);

  // The record's history: the log starts at version 3, whose change it knows in full.
  ASSERT_TRUE(a3.at("rule").as_object().contains("domain")) << json::serialize(a3);
  const std::string domain = std::string(a3.at("rule").at("domain").as_string());
  json::value h = d.GetJson("/v1/sources/r/history?domain=" + domain);
  ASSERT_TRUE(h.is_object());
  EXPECT_EQ(h.at("log_starts_at_version"), v3.at("version")) << json::serialize(h);
  const json::array& changes = h.at("changes").as_array();
  ASSERT_EQ(changes.size(), 1u) << json::serialize(h);
  EXPECT_EQ(changes[0].at("version"), v3.at("version"));
  EXPECT_EQ(changes[0].at("change"), "changed");
  EXPECT_EQ(changes[0].at("before").at("targets").at(0).at("address"), "10.9.0.2");
  EXPECT_EQ(changes[0].at("record").at("targets").at(0).at("address"), "10.9.0.3");
}

}  // namespace
}  // namespace netsnap::e2e
