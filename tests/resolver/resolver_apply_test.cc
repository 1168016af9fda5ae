// Apply puts files back atomically, keeping mode, owner and symlink layout; removes files whose
// record is removed; ignores derived records; runs the reload command with a time limit.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "resolver_test_util.h"
#include "sources/resolver/resolver_source.h"
#include "support/netns.h"
#include "support/temp_dir.h"

namespace netsnap::testing {
namespace {

struct stat Stat(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(0, lstat(p.c_str(), &st)) << p;
  return st;
}

std::string ReadLinkOf(const std::string& p) {
  char buf[4096];
  ssize_t n = readlink(p.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

class ApplyTest : public ::testing::Test {
 protected:
  std::unique_ptr<Source> Make(const std::string& path, const std::string& extra = "") {
    return MakeSource("[[source]]\nname = \"r\"\nformat = \"resolv.conf\"\npath = \"" + path +
                      "\"\n" + extra);
  }
  // Brings the live files back to `target`.
  ApplyResult Restore(Source* s, const Snapshot& target, Status* status = nullptr) {
    Snapshot live;
    EXPECT_TRUE(s->ReadLive(&live).ok());
    ApplyResult r;
    Status st = s->Apply(ComputeDelta(live, target), &r);
    if (status) {
      *status = st;
    } else {
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return r;
  }
  TempDir dir_;
};

TEST_F(ApplyTest, WritesAtomicallyKeepingMode) {
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n", 0640);
  auto src = Make(path);
  Snapshot v1;
  ASSERT_TRUE(src->ReadLive(&v1).ok());
  WriteFile(path, "nameserver 10.0.0.2\n", 0600);
  ino_t before = Stat(path).st_ino;
  ApplyResult r = Restore(src.get(), v1);
  EXPECT_EQ(r.applied, 1u);  // only the file; the rule is derived from it
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(ReadFileBytes(path), "nameserver 10.0.0.1\n");
  struct stat st = Stat(path);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_NE(st.st_ino, before);  // replaced by rename, not rewritten in place
  // Nothing left beside it.
  std::string listing;
  Shell("ls -A " + dir_.path(), &listing);
  EXPECT_EQ(listing, "resolv.conf\n");
  Snapshot again;
  ASSERT_TRUE(src->ReadLive(&again).ok());
  EXPECT_EQ(again.hash(), v1.hash());
}

TEST_F(ApplyTest, KeepsOwner) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  ASSERT_EQ(0, chown(path.c_str(), 65534, 65534));
  auto src = Make(path);
  Snapshot v1;
  ASSERT_TRUE(src->ReadLive(&v1).ok());
  WriteFile(path + ".x", "nameserver 10.0.0.2\n");
  ASSERT_EQ(0, rename((path + ".x").c_str(), path.c_str()));  // now owned by root
  Restore(src.get(), v1);
  EXPECT_EQ(Stat(path).st_uid, 65534u);
  EXPECT_EQ(Stat(path).st_gid, 65534u);
}

TEST_F(ApplyTest, WritesThroughSymlinkAndRestoresItsTarget) {
  mkdir(dir_.Sub("run").c_str(), 0755);
  WriteFile(dir_.Sub("run/a.conf"), "nameserver 10.0.0.1\n", 0644);
  WriteFile(dir_.Sub("run/b.conf"), "nameserver 10.0.0.2\n", 0644);
  std::string path = dir_.Sub("resolv.conf");
  ASSERT_EQ(0, symlink("run/a.conf", path.c_str()));
  auto src = Make(path, "write_paths = [\"" + dir_.Sub("run") + "\"]\n");
  Snapshot v1;
  ASSERT_TRUE(src->ReadLive(&v1).ok());

  // Content edited through the link: restored in the target, the link stays a link.
  WriteFile(dir_.Sub("run/a.conf"), "nameserver 10.9.9.9\n");
  Restore(src.get(), v1);
  EXPECT_TRUE(S_ISLNK(Stat(path).st_mode));
  EXPECT_EQ(ReadLinkOf(path), "run/a.conf");
  EXPECT_EQ(ReadFileBytes(dir_.Sub("run/a.conf")), "nameserver 10.0.0.1\n");

  // Link retargeted: pointed back.
  unlink(path.c_str());
  ASSERT_EQ(0, symlink("run/b.conf", path.c_str()));
  Restore(src.get(), v1);
  EXPECT_EQ(ReadLinkOf(path), "run/a.conf");
  EXPECT_EQ(ReadFileBytes(dir_.Sub("run/b.conf")), "nameserver 10.0.0.2\n");  // untouched

  // Link replaced by a plain file: the link comes back.
  unlink(path.c_str());
  WriteFile(path, "nameserver 10.7.7.7\n");
  Restore(src.get(), v1);
  EXPECT_TRUE(S_ISLNK(Stat(path).st_mode));
  Snapshot live;
  ASSERT_TRUE(src->ReadLive(&live).ok());
  EXPECT_EQ(live.hash(), v1.hash());
}

TEST_F(ApplyTest, RemovalDeletesTheFile) {
  std::string path = dir_.Sub("resolv.conf");
  auto src = Make(path);
  Snapshot empty;
  ASSERT_TRUE(src->ReadLive(&empty).ok());
  EXPECT_TRUE(empty.empty());
  WriteFile(path, "nameserver 10.0.0.1\n");
  ApplyResult r = Restore(src.get(), empty);
  EXPECT_EQ(r.applied, 1u);
  EXPECT_NE(0, access(path.c_str(), F_OK));
}

TEST_F(ApplyTest, DerivedRecordsAreIgnoredAndContentlessFilesFail) {
  std::string path = dir_.Sub("resolv.conf");
  auto src = Make(path);
  ResolverRule rule;
  rule.targets = {{"10.0.0.1", 0, ""}};
  ConfigFile file;
  file.path = path;
  file.error = "file is larger than 16777216 bytes";
  Record fr = file.ToRecord();
  Record rr = rule.ToRecord();
  Delta delta = {{rr.key, rr.value}, {fr.key, fr.value}};
  NormalizeDelta(&delta);
  ApplyResult r;
  ASSERT_TRUE(src->Apply(delta, &r).ok());
  EXPECT_EQ(r.applied, 0u);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].key, fr.key);
  EXPECT_NE(r.failures[0].message.find("no content"), std::string::npos);
}

TEST_F(ApplyTest, ReadersNeverSeeAPartialFile) {
  std::string path = dir_.Sub("resolv.conf");
  std::string a = "nameserver 10.0.0.1\n" + std::string(100000, '#') + "\n";
  std::string b = "nameserver 10.0.0.2\n" + std::string(50000, ';') + "\n";
  WriteFile(path, a);
  auto src = Make(path);
  Snapshot va, vb;
  ASSERT_TRUE(src->ReadLive(&va).ok());
  WriteFile(path, b);
  ASSERT_TRUE(src->ReadLive(&vb).ok());
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done) {
      std::string s = ReadFileBytes(path);
      if (s != a && s != b) ++bad;
    }
  });
  for (int i = 0; i < 40; ++i) Restore(src.get(), i % 2 ? vb : va);
  done = true;
  reader.join();
  EXPECT_EQ(bad, 0);
}

TEST_F(ApplyTest, ReloadCommandRunsAfterWriting) {
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  auto src = Make(path, "reload = \"cp " + path + " " + dir_.Sub("seen") + "\"\n");
  Snapshot v1;
  ASSERT_TRUE(src->ReadLive(&v1).ok());
  WriteFile(path, "nameserver 10.0.0.2\n");
  Restore(src.get(), v1);
  EXPECT_EQ(ReadFileBytes(dir_.Sub("seen")), "nameserver 10.0.0.1\n");
}

TEST_F(ApplyTest, ReloadFailureAndTimeout) {
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  auto failing = Make(path, "reload = \"echo broken; exit 3\"\n");
  Snapshot v1;
  ASSERT_TRUE(failing->ReadLive(&v1).ok());
  WriteFile(path, "nameserver 10.0.0.2\n");
  Status st;
  ApplyResult r = Restore(failing.get(), v1, &st);
  EXPECT_EQ(r.applied, 1u);
  EXPECT_EQ(st.code(), Status::Code::kIOError);
  EXPECT_NE(st.message().find("exit status 3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("broken"), std::string::npos) << st.message();

  auto hanging = Make(path, "reload = \"sleep 30\"\nreload_timeout_s = 1\n");
  WriteFile(path, "nameserver 10.0.0.2\n");
  Restore(hanging.get(), v1, &st);  // `sleep 30` would succeed if it were waited for
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("timed out after 1000 ms"), std::string::npos) << st.message();
}

TEST(ResolverFileRecords, KeepsOnlyFiles) {
  ResolverRule rule;
  ConfigFile file;
  file.path = "/x";
  file.has_content = true;
  Snapshot s;
  ASSERT_TRUE(Snapshot::FromRecords({rule.ToRecord(), file.ToRecord()}, &s).ok());
  Snapshot f = ResolverFileRecords(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f.at(0).key, file.Key());
}

}  // namespace
}  // namespace netsnap::testing
