// `meson install --destdir` puts every file an installed netsnap needs where systemd, man and
// bash-completion look; the installed binaries run, the installed configuration is valid, and
// systemd-analyze accepts the unit.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "snapshotd_process.h"
#include "temp_dir.h"

namespace netsnap::testing {
namespace {

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string s; std::getline(in, s, sep);) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string out;
    ASSERT_EQ(RunBinary(EnvPath("MESON"),
                        {"install", "-C", EnvPath("NETSNAP_BUILD_ROOT"), "--no-rebuild", "--quiet",
                         "--destdir", dest_.path()},
                        &out),
              0)
        << out;
  }
  TempDir dest_;
};

TEST_F(InstallTest, ListsTheExpectedFiles) {
  for (const std::string& f : Split(EnvPath("NETSNAP_INSTALLED_FILES"), ':')) {
    EXPECT_TRUE(Exists(dest_.path() + f)) << f << " was not installed";
  }
  std::string out;
  EXPECT_EQ(RunBinary(dest_.path() + EnvPath("NETSNAP_SBINDIR") + "/snapshotd",
                      {"--check-config", dest_.path() + EnvPath("NETSNAP_CONFIG")}, &out),
            0)
      << out;
  EXPECT_EQ(RunBinary(dest_.path() + EnvPath("NETSNAP_BINDIR") + "/netsnap", {"--version"}, &out),
            0)
      << out;
}

TEST_F(InstallTest, SystemdAcceptsTheUnit) {
  const std::string analyze = "/usr/bin/systemd-analyze";
  if (access(analyze.c_str(), X_OK) != 0) GTEST_SKIP() << "systemd-analyze is not installed";
  // verify checks that ExecStart= exists and that Documentation= man pages open: point both
  // at the installed tree (--root= would also look for sysinit.target and /bin/kill there).
  std::string unit;
  {
    std::ifstream in(dest_.path() + EnvPath("NETSNAP_UNITDIR") + "/netsnap.service");
    std::stringstream ss;
    ss << in.rdbuf();
    unit = ss.str();
  }
  const std::string sbin = EnvPath("NETSNAP_SBINDIR") + "/snapshotd";
  ASSERT_NE(unit.find("ExecStart=" + sbin + "\n"), std::string::npos) << unit;
  for (size_t at; (at = unit.find("=" + sbin)) != std::string::npos;) {
    unit.replace(at + 1, sbin.size(), dest_.path() + sbin);
  }
  TempDir check;
  WriteFile(check.Sub("netsnap.service"), unit, 0644);
  std::string out;
  EXPECT_EQ(RunBinary("/usr/bin/env",
                      {"MANPATH=" + dest_.path() + EnvPath("NETSNAP_MANDIR"), analyze, "verify",
                       check.Sub("netsnap.service")},
                      &out),
            0)
      << out;
  EXPECT_EQ(out, "") << "systemd-analyze has remarks";
}

}  // namespace
}  // namespace netsnap::testing
