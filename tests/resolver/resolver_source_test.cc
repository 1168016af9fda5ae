// The resolver source end to end on files in a temp folder: configuration, the startup
// snapshot, and continuous capture — each kind of change gives exactly one delivery with the
// right diff.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <thread>

#include "resolver_test_util.h"
#include "sources/registry.h"
#include "sources/resolver/resolver_source.h"
#include "support/temp_dir.h"

namespace netsnap::testing {
namespace {

using namespace std::chrono_literals;

std::string Key(RecordKind kind, const std::string& name) {
  return std::string(1, static_cast<char>(kind)) + name;
}

std::vector<std::string> Keys(const std::vector<Record>& v) {
  std::vector<std::string> out;
  for (const Record& r : v) out.push_back(r.key);
  return out;
}
std::vector<std::string> Keys(const std::vector<ChangedRecord>& v) {
  std::vector<std::string> out;
  for (const ChangedRecord& r : v) out.push_back(r.key);
  return out;
}

class Continuous : public ::testing::Test {
 protected:
  void StartSource(const std::string& format, const std::string& path,
                   const std::string& extra = "", int debounce_ms = 250) {
    source_ = MakeSource("[[source]]\nname = \"r\"\nkind = \"resolver\"\nformat = \"" + format +
                         "\"\npath = \"" + path +
                         "\"\ndebounce_ms = " + std::to_string(debounce_ms) + "\n" + extra);
    ASSERT_TRUE(source_);
    Status st = source_->Start(&sink_);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(sink_.size(), 1u);
    EXPECT_EQ(sink_.deliveries()[0].cause, Cause::kStartup);
  }
  void TearDown() override {
    if (source_) source_->Stop();
    EXPECT_EQ(sink_.deltas(), 0);
    EXPECT_TRUE(sink_.errors().empty());
  }

  // Waits for exactly one more delivery (bounded), and returns its diff to the previous one.
  // The delivery must come from inotify; the Sync after it proves nothing else is pending.
  Diff ExpectOneDelivery() {
    size_t before = sink_.size();
    EXPECT_TRUE(sink_.WaitFor(before + 1, 5000)) << "no delivery";
    Status st = source_->Sync();
    EXPECT_TRUE(st.ok()) << st.ToString();
    auto d = sink_.deliveries();
    EXPECT_EQ(d.size(), before + 1) << "more than one delivery";
    if (d.size() < before + 1 || before == 0) return {};
    EXPECT_EQ(d[before].cause, Cause::kEvent);
    return ComputeDiff(d[before - 1].snapshot, d[before].snapshot);
  }
  void ExpectNoDelivery() {
    size_t before = sink_.size();
    Status st = source_->Sync();
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(sink_.size(), before);
  }
  Snapshot Last() { return sink_.deliveries().back().snapshot; }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<Source> source_;
};

TEST_F(Continuous, EditInPlace) {
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\nsearch a.example\n");
  StartSource("resolv.conf", path);
  EXPECT_EQ(Rules(Last()).size(), 1u);
  {
    int fd = open(path.c_str(), O_WRONLY | O_TRUNC);
    ASSERT_GE(fd, 0);
    std::string text = "nameserver 10.0.0.2\nsearch a.example\n";
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
  }
  Diff d = ExpectOneDelivery();
  EXPECT_TRUE(d.added.empty());
  EXPECT_TRUE(d.removed.empty());
  EXPECT_EQ(Keys(d.changed), (std::vector<std::string>{Key(RecordKind::kResolverRule, "."),
                                                       Key(RecordKind::kFile, path)}));
  EXPECT_EQ(Targets(Rules(Last())["."]), std::vector<std::string>{"10.0.0.2"});
}

TEST_F(Continuous, BurstOfWritesIsOneVersion) {
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  StartSource("resolv.conf", path);
  for (int i = 0; i < 20; ++i) {
    WriteFile(path, "nameserver 10.0.1." + std::to_string(i) + "\n");
    std::this_thread::sleep_for(2ms);
  }
  ExpectOneDelivery();
  EXPECT_EQ(Targets(Rules(Last())["."]), std::vector<std::string>{"10.0.1.19"});
}

TEST_F(Continuous, AtomicRenameReplacement) {
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  StartSource("resolv.conf", path);
  ReplaceFile(path, "nameserver 10.0.0.1\nsearch b.example\n");
  Diff d = ExpectOneDelivery();
  EXPECT_EQ(Keys(d.added), std::vector<std::string>{Key(RecordKind::kResolverSetting, "search")});
  EXPECT_EQ(Keys(d.changed), std::vector<std::string>{Key(RecordKind::kFile, path)});
  // The new inode is watched too: a second replacement is seen.
  ReplaceFile(path, "nameserver 10.0.0.3\n");
  Diff d2 = ExpectOneDelivery();
  EXPECT_EQ(Keys(d2.removed),
            std::vector<std::string>{Key(RecordKind::kResolverSetting, "search")});
}

TEST_F(Continuous, DeleteAndRecreate) {
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  StartSource("resolv.conf", path);
  ASSERT_EQ(0, unlink(path.c_str()));
  Diff d = ExpectOneDelivery();
  EXPECT_EQ(Keys(d.removed), (std::vector<std::string>{Key(RecordKind::kResolverRule, "."),
                                                       Key(RecordKind::kFile, path)}));
  EXPECT_TRUE(Last().empty());
  WriteFile(path, "nameserver 10.0.0.9\n");
  Diff d2 = ExpectOneDelivery();
  EXPECT_EQ(d2.added.size(), 2u);
  // Delete and re-create within one burst: one version with the new content.
  ASSERT_EQ(0, unlink(path.c_str()));
  WriteFile(path, "nameserver 10.0.0.10\n");
  Diff d3 = ExpectOneDelivery();
  EXPECT_EQ(d3.changed.size(), 2u);
}

TEST_F(Continuous, EditorSavePattern) {
  // vim's default: probe file, rename the original to a backup, write anew, drop the backup.
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  StartSource("resolv.conf", path);
  WriteFile(dir_.Sub("4913"), "");
  unlink(dir_.Sub("4913").c_str());
  ASSERT_EQ(0, rename(path.c_str(), (path + "~").c_str()));
  WriteFile(path, "nameserver 10.0.0.2\n");
  unlink((path + "~").c_str());
  Diff d = ExpectOneDelivery();
  EXPECT_EQ(d.changed.size(), 2u);
  // Unrelated files in the folder do not produce versions.
  WriteFile(dir_.Sub("unrelated"), "x");
  ExpectNoDelivery();
}

TEST_F(Continuous, SymlinkRetargeting) {
  mkdir(dir_.Sub("run").c_str(), 0755);
  WriteFile(dir_.Sub("run/a.conf"), "nameserver 10.0.0.1\n");
  WriteFile(dir_.Sub("run/b.conf"), "nameserver 10.0.0.2\n");
  std::string path = dir_.Sub("resolv.conf");
  ASSERT_EQ(0, symlink("run/a.conf", path.c_str()));
  StartSource("resolv.conf", path, "read_paths = [\"" + dir_.Sub("run") + "\"]\n");
  EXPECT_EQ(Files(Last())[path].symlink_target, "run/a.conf");
  // Retarget atomically, as resolvconf and systemd do.
  ASSERT_EQ(0, symlink("run/b.conf", (path + ".new").c_str()));
  ASSERT_EQ(0, rename((path + ".new").c_str(), path.c_str()));
  Diff d = ExpectOneDelivery();
  EXPECT_EQ(Keys(d.changed), (std::vector<std::string>{Key(RecordKind::kResolverRule, "."),
                                                       Key(RecordKind::kFile, path)}));
  EXPECT_EQ(Files(Last())[path].symlink_target, "run/b.conf");
  EXPECT_EQ(Targets(Rules(Last())["."]), std::vector<std::string>{"10.0.0.2"});
  // The new target is watched; the old one no longer matters.
  WriteFile(dir_.Sub("run/b.conf"), "nameserver 10.0.0.3\n");
  ExpectOneDelivery();
  EXPECT_EQ(Targets(Rules(Last())["."]), std::vector<std::string>{"10.0.0.3"});
  WriteFile(dir_.Sub("run/a.conf"), "nameserver 10.0.0.4\n");
  ExpectNoDelivery();
}

TEST_F(Continuous, TargetFolderCreatedLater) {
  std::string path = dir_.Sub("resolv.conf");
  ASSERT_EQ(0, symlink("run/resolv.conf", path.c_str()));
  StartSource("resolv.conf", path, "read_paths = [\"" + dir_.Sub("run") + "\"]\n");
  EXPECT_EQ(Files(Last())[path].error, "dangling symbolic link");
  // The folder appears, then the file in it: seen through the nearest existing ancestor.
  mkdir(dir_.Sub("run").c_str(), 0755);
  ExpectNoDelivery();  // content unchanged: no version, but the new folder is now watched
  WriteFile(dir_.Sub("run/resolv.conf"), "nameserver 10.0.0.5\n");
  Diff d = ExpectOneDelivery();
  EXPECT_EQ(Keys(d.added), std::vector<std::string>{Key(RecordKind::kResolverRule, ".")});
  EXPECT_EQ(Files(Last())[path].error, "");
}

TEST_F(Continuous, DnsmasqConfDirAddition) {
  std::string main = dir_.Sub("dnsmasq.conf");
  mkdir(dir_.Sub("d").c_str(), 0755);
  WriteFile(main, "conf-dir=" + dir_.Sub("d") + "\n");
  StartSource("dnsmasq", main, "read_paths = [\"" + dir_.Sub("d") + "\"]\n");
  WriteFile(dir_.Sub("d/vpn.conf"), "server=/vpn.example/10.8.0.1\n");
  Diff d = ExpectOneDelivery();
  EXPECT_EQ(Keys(d.added),
            (std::vector<std::string>{Key(RecordKind::kResolverRule, "vpn.example"),
                                      Key(RecordKind::kFile, dir_.Sub("d/vpn.conf"))}));
}

TEST_F(Continuous, PeriodicRereadHeals) {
  // A bind mount over the file changes what the path reads without any inotify event: only
  // the periodic re-read can see it. The mount lives in this process's own mount namespace.
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount";
  ASSERT_EQ(0, unshare(CLONE_NEWNS));
  ASSERT_EQ(0, mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  WriteFile(dir_.Sub("other"), "nameserver 10.0.0.7\n");
  StartSource("resolv.conf", path, "reread_s = 1\n");
  ASSERT_EQ(0, mount(dir_.Sub("other").c_str(), path.c_str(), nullptr, MS_BIND, nullptr));
  bool healed = sink_.WaitFor(2, 5000);
  umount2(path.c_str(), MNT_DETACH);
  ASSERT_TRUE(healed) << "the periodic re-read did not come";
  auto d = sink_.deliveries();
  EXPECT_EQ(d[1].cause, Cause::kPeriodic);  // inotify saw nothing (that would be kEvent)
  EXPECT_EQ(Targets(Rules(d[1].snapshot)["."]), std::vector<std::string>{"10.0.0.7"});
}

TEST_F(Continuous, SyncSeesAChangeAtOnce) {
  std::string path = dir_.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  StartSource("resolv.conf", path, "", 60'000);  // inotify alone would take a minute
  WriteFile(path, "nameserver 10.0.0.2\n");
  ASSERT_TRUE(source_->Sync().ok());
  ASSERT_EQ(sink_.size(), 2u);
  EXPECT_EQ(sink_.deliveries()[1].cause, Cause::kEvent);
  EXPECT_EQ(Targets(Rules(Last())["."]), std::vector<std::string>{"10.0.0.2"});
  source_->Stop();
  EXPECT_EQ(source_->Sync().code(), Status::Code::kUnavailable);
}

TEST(ResolverSource, StopIsFinal) {
  TempDir dir;
  RecordingSink sink;
  std::string path = dir.Sub("resolv.conf");
  WriteFile(path, "nameserver 10.0.0.1\n");
  auto src =
      MakeSource("[[source]]\nname = \"r\"\nformat = \"resolv.conf\"\npath = \"" + path + "\"\n");
  ASSERT_TRUE(src->Start(&sink).ok());
  src->Stop();
  WriteFile(path, "nameserver 10.0.0.2\n");
  EXPECT_EQ(src->Sync().code(), Status::Code::kUnavailable);
  EXPECT_EQ(sink.size(), 1u);
  Snapshot live;
  ASSERT_TRUE(src->ReadLive(&live).ok());
  EXPECT_EQ(Targets(Rules(live)["."]), std::vector<std::string>{"10.0.0.2"});
}

// Configuration ---------------------------------------------------------------------------

Status Build(const std::string& text, std::unique_ptr<Source>* out) {
  toml::table doc = toml::parse(text);
  SourceSpec spec{"r", "resolver", doc["source"][0].as_table()};
  return NewSource(spec, out);
}

TEST(ResolverConfig, Errors) {
  std::unique_ptr<Source> s;
  Status st = Build("[[source]]\nname = \"r\"\nkind = \"resolver\"\npath = \"/x\"\n", &s);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("format: missing"), std::string::npos) << st.message();
  st = Build("[[source]]\nname = \"r\"\nkind = \"resolver\"\npath = \"/x\"\nformat = \"bind\"\n",
             &s);
  EXPECT_NE(st.message().find("format: unknown format 'bind'"), std::string::npos);
  EXPECT_NE(st.message().find("(line 5)"), std::string::npos) << st.message();
  st = Build("[[source]]\nformat = \"dnsmasq\"\npath = \"relative\"\n", &s);
  EXPECT_NE(st.message().find("path: must be an absolute path (line 3)"), std::string::npos)
      << st.message();
  st = Build("[[source]]\nformat = \"dnsmasq\"\npath = \"/x\"\ndebounce_ms = \"fast\"\n", &s);
  EXPECT_NE(st.message().find("debounce_ms: must be an integer (line 4)"), std::string::npos)
      << st.message();
  st = Build("[[source]]\nformat = \"dnsmasq\"\npath = \"/x\"\nrelaod = \"x\"\n", &s);
  EXPECT_NE(st.message().find("relaod: unknown key"), std::string::npos) << st.message();
  st = Build(
      "[[source]]\nformat = \"unbound\"\npath = \"/x/\"\nreload = \"true\"\n"
      "debounce_ms = 5\nreread_s = 30\nread_only = false\nreload_timeout_s = 3\n",
      &s);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(s->kind(), "resolver");
  EXPECT_EQ(s->where(), "/x (unbound)");
}

TEST(ResolverConfig, EmbeddedDefaultIsReadOnlyResolvConf) {
  std::unique_ptr<Source> s;
  ASSERT_TRUE(NewSource(SourceSpec{"resolver", "resolver", nullptr}, &s).ok());
  EXPECT_EQ(s->where(), "/etc/resolv.conf (resolv.conf)");
  ApplyResult r;
  EXPECT_EQ(s->Apply({}, &r).code(), Status::Code::kRefused);
  EXPECT_FALSE(NewSource(SourceSpec{"other", "resolver", nullptr}, &s).ok());
}

}  // namespace
}  // namespace netsnap::testing
