// Malformed and hostile input (binary garbage, 10 MB lines, include loops, unreadable and huge
// files, FIFOs) gives a version with the problem recorded in the file's record: never a crash,
// never a hang, nothing dropped.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "resolver_test_util.h"
#include "support/temp_dir.h"

namespace netsnap::testing {
namespace {

std::string Garbage(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

class Hostile : public ::testing::TestWithParam<ResolverFormat> {};

TEST_P(Hostile, BinaryGarbageIsVersionedWithError) {
  TempDir dir;
  std::string path = dir.Sub("conf");
  std::string bytes = Garbage(64 << 10, 7);
  WriteFile(path, bytes);
  Snapshot s = ReadPass(GetParam(), path);
  auto files = Files(s);
  ASSERT_EQ(files.count(path), 1u);
  EXPECT_TRUE(files[path].has_content);
  EXPECT_EQ(files[path].content, bytes);  // exact bytes kept
  EXPECT_NE(files[path].error, "");
}

TEST_P(Hostile, TenMegabyteLine) {
  TempDir dir;
  std::string path = dir.Sub("conf");
  std::string big(10 << 20, 'a');
  WriteFile(path, "# x\n" + big + "\n# y\n");
  Snapshot s = ReadPass(GetParam(), path);
  auto files = Files(s);
  EXPECT_EQ(files[path].error, "line 2: line longer than 65536 bytes");
  EXPECT_EQ(files[path].content.size(), big.size() + 9);
}

TEST_P(Hostile, HugeFileIsVersionedWithoutContent) {
  TempDir dir;
  std::string path = dir.Sub("conf");
  int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(0, ftruncate(fd, (16 << 20) + 1));  // sparse: cheap to make
  close(fd);
  auto files = Files(ReadPass(GetParam(), path));
  EXPECT_FALSE(files[path].has_content);
  EXPECT_EQ(files[path].error, "file is larger than 16777216 bytes");
}

TEST_P(Hostile, FifoDoesNotHang) {
  TempDir dir;
  std::string path = dir.Sub("conf");
  ASSERT_EQ(0, mkfifo(path.c_str(), 0644));
  auto files = Files(ReadPass(GetParam(), path));
  EXPECT_FALSE(files[path].has_content);
  EXPECT_EQ(files[path].error, "not a regular file");
}

TEST_P(Hostile, UnreadableFile) {
  TempDir dir;
  std::string path = dir.Sub("conf");
  if (geteuid() == 0) {
    // Root reads anything; a folder where a file belongs cannot be read as one.
    ASSERT_EQ(0, mkdir(path.c_str(), 0755));
    if (GetParam() == ResolverFormat::kDnsmasq || GetParam() == ResolverFormat::kResolved) {
      GTEST_SKIP() << "a folder is a valid path for this format";
    }
    auto files = Files(ReadPass(GetParam(), path));
    EXPECT_EQ(files[path].error, "is a folder, not a file");
  } else {
    WriteFile(path, "x\n", 0);
    auto files = Files(ReadPass(GetParam(), path));
    EXPECT_EQ(files[path].error, "open: Permission denied");
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, Hostile,
                         ::testing::Values(ResolverFormat::kResolvConf, ResolverFormat::kDnsmasq,
                                           ResolverFormat::kResolved, ResolverFormat::kUnbound),
                         [](const auto& info) {
                           std::string n(ResolverFormatName(info.param));
                           return n == "resolv.conf" ? std::string("resolv_conf") : n;
                         });

TEST(HostileIncludes, DnsmasqIncludeLoop) {
  TempDir dir;
  WriteFile(dir.Sub("a.conf"), "server=/a.example/10.0.0.1\nconf-file=" + dir.Sub("b.conf") + "\n");
  WriteFile(dir.Sub("b.conf"), "server=/b.example/10.0.0.2\nconf-file=a.conf\n");
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, dir.Sub("a.conf"));
  auto files = Files(s);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[dir.Sub("b.conf")].error,
            "line 2: " + dir.Sub("a.conf") + ": already read (include loop?)");
  EXPECT_EQ(Rules(s).size(), 2u);  // both files still contribute
}

TEST(HostileIncludes, DnsmasqConfDirContainingItself) {
  TempDir dir;
  WriteFile(dir.Sub("main.conf"), "conf-dir=" + dir.path() + "\n");
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, dir.Sub("main.conf"));
  EXPECT_NE(Files(s)[dir.Sub("main.conf")].error.find("include loop"), std::string::npos);
}

TEST(HostileIncludes, DeepNestingStopsAtTheLimit) {
  TempDir dir;
  for (int i = 0; i < 40; ++i) {
    WriteFile(dir.Sub(std::to_string(i) + ".conf"),
              "server=/d" + std::to_string(i) +
                  ".example/10.0.0.1\nconf-file=" + std::to_string(i + 1) + ".conf\n");
  }
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, dir.Sub("0.conf"));
  auto files = Files(s);
  EXPECT_EQ(files.size(), 17u);  // the top file and 16 levels
  EXPECT_EQ(files[dir.Sub("16.conf")].error, "line 2: includes nested deeper than 16");
}

TEST(HostileIncludes, TooManyFiles) {
  TempDir dir;
  mkdir(dir.Sub("d").c_str(), 0755);
  for (int i = 0; i < 300; ++i) WriteFile(dir.Sub("d/" + std::to_string(1000 + i)), "");
  WriteFile(dir.Sub("main"), "conf-dir=" + dir.Sub("d") + "\n");
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, dir.Sub("main"));
  auto files = Files(s);
  EXPECT_EQ(files.size(), 256u);
  EXPECT_NE(files[dir.Sub("main")].error.find("too many files"), std::string::npos);
}

TEST(HostileIncludes, DnsmasqDeviceAndMissingIncludes) {
  TempDir dir;
  WriteFile(dir.Sub("main"), "conf-file=/dev/zero\nconf-file=" + dir.Sub("missing") + "\n");
  Snapshot s = ReadPass(ResolverFormat::kDnsmasq, dir.Sub("main"));  // /dev/zero is not read
  auto files = Files(s);
  EXPECT_EQ(files["/dev/zero"].error, "not a regular file");
  EXPECT_EQ(files[dir.Sub("main")].error, "line 1: /dev/zero: not a regular file (and 1 more)");
}

TEST(HostileIncludes, UnboundIncludesItself) {
  TempDir dir;
  WriteFile(dir.Sub("u.conf"), "server:\n  include: \"" + dir.Sub("*.conf") + "\"\n");
  Snapshot s = ReadPass(ResolverFormat::kUnbound, dir.Sub("u.conf"));
  EXPECT_NE(Files(s)[dir.Sub("u.conf")].error.find("include loop"), std::string::npos);
}

TEST(HostileIncludes, TotalBytesAreCapped) {
  TempDir dir;
  ReadLimits limits;
  limits.max_total_bytes = 1000;
  WriteFile(dir.Sub("a"), std::string(600, '#') + "\nconf-file=" + dir.Sub("b") + "\n");
  WriteFile(dir.Sub("b"), std::string(600, '#') + "\n");
  auto files = Files(ReadPass(ResolverFormat::kDnsmasq, dir.Sub("a"), limits));
  EXPECT_TRUE(files[dir.Sub("a")].has_content);
  EXPECT_FALSE(files[dir.Sub("b")].has_content);
  EXPECT_NE(files[dir.Sub("b")].error.find("larger than"), std::string::npos);
}

}  // namespace
}  // namespace netsnap::testing
