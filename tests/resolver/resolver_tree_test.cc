// Resolver files stay in their tree: links swapped to outside the configured roots (to decoy
// files, to /proc/self/..., into loops, replaced by folders), while rollbacks run, never make
// the source write or remove anything outside; folders others can write to and files others
// own are refused by name; include files outside the roots are recorded by path and hash
// without their content, unless read_paths lists them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "common/render.h"
#include "resolver_test_util.h"
#include "support/netns.h"
#include "support/temp_dir.h"

namespace netsnap::testing {
namespace {

constexpr const char* kSecret = "SECRET-7f3a9c";
const std::string kSecretFile = std::string("# ") + kSecret + "\n";  // a comment to dnsmasq

// Everything under a folder: path -> bytes (or link target), mode and owner.
std::map<std::string, std::string> Fingerprint(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st;
    EXPECT_EQ(0, lstat(e.path().c_str(), &st));
    std::string v = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + " ";
    if (S_ISREG(st.st_mode)) v += ReadFileBytes(e.path());
    if (S_ISLNK(st.st_mode)) v += std::filesystem::read_symlink(e.path()).string();
    out[e.path().string()] = v;
  }
  return out;
}

std::string Xxh128Hex(const std::string& bytes) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(bytes.data(), bytes.size()));
  std::string h;
  for (unsigned char b : c.digest) {
    h.push_back("0123456789abcdef"[b >> 4]);
    h.push_back("0123456789abcdef"[b & 15]);
  }
  return h;
}

// A dnsmasq tree: TMP/etc/dnsmasq.conf with conf-dir TMP/etc/conf.d (written through
// write_paths) and conf-file TMP/outside/secret (0600, outside every root); decoys beside it.
class TreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: files owned by nobody, chown";
    chmod(dir_.path().c_str(), 0755);  // nobody must reach conf.d
    for (const char* d : {"etc", "etc/conf.d", "outside"}) mkdir(dir_.Sub(d).c_str(), 0755);
    WriteFile(dir_.Sub("outside/decoy"), "decoy\n", 0644);
    WriteFile(dir_.Sub("outside/secret"), kSecretFile, 0600);
    WriteFile(main_, "conf-dir=" + conf_ + ",*.conf\nconf-file=" + secret_ + "\n");
    WriteFile(conf_ + "/a.conf", "server=/a.example/10.0.0.1\n");
    outside_before_ = Fingerprint(dir_.Sub("outside"));
  }
  std::unique_ptr<Source> Make(const std::string& extra = "") {
    return MakeSource("[[source]]\nname = \"dns\"\nformat = \"dnsmasq\"\npath = \"" + main_ +
                      "\"\nwrite_paths = [\"" + conf_ + "\"]\n" + extra);
  }
  Snapshot Live(Source* s) {
    Snapshot live;
    Status st = s->ReadLive(&live);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return live;
  }
  // Brings the live files back to `target`; returns Apply's status.
  Status Rollback(Source* s, const Snapshot& target, ApplyResult* r) {
    return s->Apply(ComputeDelta(Live(s), target), r);
  }
  void ExpectOutsideUntouched() { EXPECT_EQ(Fingerprint(dir_.Sub("outside")), outside_before_); }

  TempDir dir_;
  const std::string main_ = dir_.Sub("etc/dnsmasq.conf");
  const std::string conf_ = dir_.Sub("etc/conf.d");
  const std::string secret_ = dir_.Sub("outside/secret");
  std::map<std::string, std::string> outside_before_;
};

TEST_F(TreeTest, StickyFolderLinkPlantedByNobodyIsRefusedByName) {
  ASSERT_EQ(0, chmod(conf_.c_str(), 01777));
  auto src = Make();
  Snapshot v1 = Live(src.get());
  // nobody plants a link to the decoy; the sticky bit keeps root's a.conf out of its reach.
  ASSERT_EQ(0, Shell("runuser -u nobody -- ln -s ../../outside/decoy " + conf_ + "/b.conf"));
  EXPECT_NE(0, Shell("runuser -u nobody -- ln -sfn ../../outside/decoy " + conf_ + "/a.conf"));
  ApplyResult r;
  Status st = Rollback(src.get(), v1, &r);
  EXPECT_EQ(st.code(), Status::Code::kRefused) << st.ToString();
  EXPECT_NE(st.message().find(conf_ + "/b.conf: it is owned by uid 65534, not root"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(r.applied, 0u);
  ExpectOutsideUntouched();
}

TEST_F(TreeTest, WorldWritableFolderIsRefusedAndReported) {
  ASSERT_EQ(0, chmod(conf_.c_str(), 0777));
  auto src = Make();
  RecordingSink sink;
  ASSERT_TRUE(src->Start(&sink).ok());
  ASSERT_EQ(sink.warnings().size(), 1u);
  EXPECT_EQ(sink.warnings()[0].type, "unsafe_path");
  EXPECT_EQ(sink.warnings()[0].message,
            "folder " + conf_ +
                " is writable by others (mode 0777): a rollback into it will be "
                "refused");
  Snapshot v1 = sink.deliveries()[0].snapshot;
  WriteFile(conf_ + "/a.conf", "server=/a.example/10.6.6.6\n");
  ApplyResult r;
  Status st = Rollback(src.get(), v1, &r);
  EXPECT_EQ(st.code(), Status::Code::kRefused) << st.ToString();
  EXPECT_NE(st.message().find("not writing " + conf_ + "/a.conf: folder " + conf_ +
                              " is writable by others (mode 0777)"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(ReadFileBytes(conf_ + "/a.conf"), "server=/a.example/10.6.6.6\n");  // untouched
  // Made safe, the warning clears (Sync re-reads) and the rollback goes through.
  ASSERT_EQ(0, chmod(conf_.c_str(), 0755));
  ASSERT_TRUE(src->Sync().ok());
  EXPECT_TRUE(sink.warnings().empty());
  st = Rollback(src.get(), v1, &r);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ReadFileBytes(conf_ + "/a.conf"), "server=/a.example/10.0.0.1\n");
  src->Stop();
}

TEST_F(TreeTest, FileOwnedByNobodyIsRefusedByName) {
  auto src = Make();
  Snapshot v1 = Live(src.get());
  WriteFile(conf_ + "/a.conf", "server=/a.example/10.6.6.6\n");
  ASSERT_EQ(0, chown((conf_ + "/a.conf").c_str(), 65534, 65534));
  ApplyResult r;
  Status st = Rollback(src.get(), v1, &r);
  EXPECT_EQ(st.code(), Status::Code::kRefused) << st.ToString();
  EXPECT_NE(st.message().find("not writing " + conf_ + "/a.conf: it is owned by uid 65534"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(ReadFileBytes(conf_ + "/a.conf"), "server=/a.example/10.6.6.6\n");
}

TEST_F(TreeTest, LinkTargetOwnedByNobodyIsRefusedBeforeAnyWrite) {
  std::string link = conf_ + "/a.conf", real = conf_ + "/a.real";
  ASSERT_EQ(0, unlink(link.c_str()));
  WriteFile(real, "server=/a.example/10.0.0.1\n");
  ASSERT_EQ(0, symlink("a.real", link.c_str()));
  auto src = Make();
  Snapshot v1 = Live(src.get());
  WriteFile(real, "server=/a.example/10.6.6.6\n");
  ASSERT_EQ(0, chown(real.c_str(), 65534, 65534));
  ASSERT_EQ(0, unlink(link.c_str()));
  ASSERT_EQ(0, symlink("../../outside/decoy", link.c_str()));
  ApplyResult r;
  Status st = Rollback(src.get(), v1, &r);
  EXPECT_EQ(st.code(), Status::Code::kRefused) << st.ToString();
  EXPECT_NE(st.message().find("not writing " + real + ": it is owned by uid 65534"),
            std::string::npos)
      << st.message();
  // Refused as a whole: not even the link was put back.
  EXPECT_EQ(std::filesystem::read_symlink(link).string(), "../../outside/decoy");
  ExpectOutsideUntouched();
}

TEST_F(TreeTest, OutsideIncludeIsListedByHashNeverServed) {
  auto src = Make();
  Snapshot live = Live(src.get());
  ConfigFile f = Files(live)[secret_];
  EXPECT_EQ(f.path, secret_);
  EXPECT_FALSE(f.has_content);
  EXPECT_EQ(f.content, "");
  EXPECT_EQ(f.mode, 0600u);
  EXPECT_EQ(f.error, "outside the roots: content not recorded (xxh128 " + Xxh128Hex(kSecretFile) +
                         ", 16 bytes)");
  for (RecordRef r : live) {
    EXPECT_EQ(std::string(r.value).find(kSecret), std::string::npos) << r.key;
    std::string json = boost::json::serialize(RecordToJson(r));
    EXPECT_EQ(json.find(kSecret), std::string::npos) << json;
  }
  std::string json = boost::json::serialize(RecordToJson(*live.Find(ConfigFile::KeyFor(secret_))));
  EXPECT_NE(json.find("outside the roots: content not recorded (xxh128 "), std::string::npos)
      << json;
  // A change to it still changes its record (and so makes a version).
  WriteFile(secret_, "# rotated\n", 0600);
  EXPECT_EQ(Files(Live(src.get()))[secret_].error,
            "outside the roots: content not recorded (xxh128 " + Xxh128Hex("# rotated\n") +
                ", 10 bytes)");
}

TEST_F(TreeTest, ReadPathsRecordTheOutsideInclude) {
  auto src = Make("read_paths = [\"" + secret_ + "\"]\n");
  ConfigFile f = Files(Live(src.get()))[secret_];
  EXPECT_TRUE(f.has_content);
  EXPECT_EQ(f.content, kSecretFile);
  EXPECT_EQ(f.error, "");
  // Readable is not writable: a rollback of it is refused by name, nothing is written.
  Snapshot v1 = Live(src.get());
  WriteFile(secret_, "changed\n", 0600);
  outside_before_ = Fingerprint(dir_.Sub("outside"));
  ApplyResult r;
  Status st = Rollback(src.get(), v1, &r);
  EXPECT_EQ(st.code(), Status::Code::kRefused) << st.ToString();
  EXPECT_NE(st.message().find(secret_ + " lies outside the folders this source may write"),
            std::string::npos)
      << st.message();
  ExpectOutsideUntouched();
}

TEST_F(TreeTest, HostileLinksAreRecordedWithoutContent) {
  ASSERT_EQ(0, symlink("/proc/self/environ", (conf_ + "/p.conf").c_str()));
  ASSERT_EQ(0, symlink("l2.conf", (conf_ + "/l1.conf").c_str()));
  ASSERT_EQ(0, symlink("l1.conf", (conf_ + "/l2.conf").c_str()));
  ASSERT_EQ(0, symlink("../../outside/decoy", (conf_ + "/d.conf").c_str()));
  ASSERT_EQ(0, mkdir((conf_ + "/f.conf").c_str(), 0755));
  auto src = Make();
  auto files = Files(Live(src.get()));
  EXPECT_EQ(files[conf_ + "/p.conf"].error, "outside the roots: a link on the way, not read");
  EXPECT_EQ(files[conf_ + "/l1.conf"].error, "too many levels of symbolic links");
  EXPECT_EQ(files[conf_ + "/d.conf"].error.rfind("outside the roots: content not recorded", 0), 0u);
  EXPECT_EQ(files[conf_ + "/f.conf"].error, "is a folder, not a file");
  for (const char* n : {"p.conf", "l1.conf", "l2.conf", "d.conf", "f.conf"}) {
    EXPECT_FALSE(files[conf_ + "/" + n].has_content) << n;
  }
}

// Kernels without openat2: in a child whose openat2 answers ENOSYS (a seccomp filter), the
// O_NOFOLLOW walk reads the same hostile tree to the same records, and a rollback there still
// writes nothing outside.
TEST_F(TreeTest, WithoutOpenat2TheWalkKeepsToTheTree) {
  ASSERT_EQ(0, symlink("/proc/self/environ", (conf_ + "/p.conf").c_str()));
  ASSERT_EQ(0, symlink("../../outside/decoy", (conf_ + "/d.conf").c_str()));
  ASSERT_EQ(0, symlink("a.conf", (conf_ + "/l.conf").c_str()));
  auto src = Make();
  Snapshot expected = Live(src.get());
  ASSERT_EQ(Files(expected)[conf_ + "/l.conf"].content, "server=/a.example/10.0.0.1\n");
  WriteFile(conf_ + "/a.conf", "server=/a.example/10.6.6.6\n");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(std::size(filter)), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
      _exit(10);
    }
    if (syscall(SYS_openat2, AT_FDCWD, ".", nullptr, 0) != -1 || errno != ENOSYS) _exit(11);
    Snapshot live;
    ApplyResult r;
    if (!src->ReadLive(&live).ok()) _exit(12);
    Status st = src->Apply(ComputeDelta(live, expected), &r);
    for (const ApplyFailure& f : r.failures) fprintf(stderr, "%s\n", f.message.c_str());
    if (!st.ok() || !r.failures.empty()) {
      fprintf(stderr, "%s\n", st.ToString().c_str());
      _exit(12);
    }
    if (!src->ReadLive(&live).ok() || live.hash() != expected.hash()) _exit(13);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10 seccomp, 11 no ENOSYS, 12 rollback, 13 records differ";
  EXPECT_EQ(ReadFileBytes(conf_ + "/a.conf"), "server=/a.example/10.0.0.1\n");
  ExpectOutsideUntouched();
}

// The recorded layout has a link, a.conf -> a.real, inside the tree. A thread swaps a.real
// (and a.conf) among a file, links to decoys outside, to /proc/self/..., into a loop and a
// folder, while rollbacks run: no byte is written outside, nothing outside is removed.
TEST_F(TreeTest, SwapsDuringRollbacksNeverTouchOutside) {
  std::string link = conf_ + "/a.conf", real = conf_ + "/a.real";
  ASSERT_EQ(0, unlink(link.c_str()));
  WriteFile(real, "server=/a.example/10.0.0.1\n");
  ASSERT_EQ(0, symlink("a.real", link.c_str()));
  auto src = Make();
  Snapshot v1 = Live(src.get());
  ASSERT_EQ(Files(v1)[link].symlink_target, "a.real");
  ASSERT_TRUE(Files(v1)[link].has_content);

  const std::string decoy = dir_.Sub("outside/decoy");
  const std::vector<std::string> targets = {"../../outside/decoy", decoy,    "/proc/self/environ",
                                            "/proc/self/fd/0",     "a.real", "../../outside"};
  std::atomic<bool> done{false};
  std::thread swapper([&] {
    for (int i = 0; i < 4000; ++i) {
      const std::string& victim = i % 3 == 0 ? link : real;
      std::string tmp = victim + ".swap";
      switch (i % 5) {
        case 0:  // a link to somewhere, swapped in atomically
        case 1:
          unlink(tmp.c_str());
          if (symlink(targets[i % targets.size()].c_str(), tmp.c_str()) == 0) {
            rename(tmp.c_str(), victim.c_str());
          }
          break;
        case 2:  // a loop
          unlink(victim.c_str());
          symlink(i % 2 ? "a.conf" : "a.real", victim.c_str());
          break;
        case 3:  // a folder where the file was
          unlink(victim.c_str());
          mkdir(victim.c_str(), 0755);
          break;
        case 4:  // the folder goes again
          rmdir(victim.c_str());
          break;
      }
    }
    done = true;
  });
  int rollbacks = 0;
  while (!done && rollbacks < 2000) {
    ApplyResult r;
    Status st = Rollback(src.get(), v1, &r);  // may fail: the files move under it
    (void)st;
    ++rollbacks;
  }
  swapper.join();
  EXPECT_GT(rollbacks, 0);
  ExpectOutsideUntouched();
  // Quiet again, one rollback puts the recorded layout back, whatever the swaps left.
  for (const std::string& p : {link, real, link + ".swap", real + ".swap"}) rmdir(p.c_str());
  ApplyResult r;
  Status st = Rollback(src.get(), v1, &r);
  EXPECT_TRUE(st.ok()) << st.ToString();
  for (const ApplyFailure& f : r.failures) ADD_FAILURE() << f.key << ": " << f.message;
  unlink((link + ".swap").c_str());
  unlink((real + ".swap").c_str());
  EXPECT_EQ(Live(src.get()).hash(), v1.hash());
  ExpectOutsideUntouched();
}

}  // namespace
}  // namespace netsnap::testing
