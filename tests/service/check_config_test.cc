// snapshotd --check-config and --version, and start-up on an invalid file: every bad file is
// named with its line and key, exits 2 and leaves nothing behind (no data dir, no socket).
#include <dirent.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "snapshotd_process.h"
#include "temp_dir.h"

namespace netsnap::testing {
namespace {

struct BadFile {
  const char* name;
  std::string toml;
  int line;
  const char* key;  // text the message must name
};

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = d ? readdir(d) : nullptr) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  if (d) closedir(d);
  return out;
}

const std::string kDaemon = "[daemon]\ndata_dir = \"data\"\n";  // lines 1-2
const std::string kKernel = "[[source]]\nname = \"k\"\nkind = \"kernel\"\n";

std::vector<BadFile> BadFiles(const std::string& dir) {
  return {
      {"retention_typo", kDaemon + "[retention]\nkeep_al = \"7d\"\n", 4, "keep_al"},
      {"daemon_typo", kDaemon + "listn = \"127.0.0.1:1\"\n", 3, "listn"},
      {"threads_range", kDaemon + "threads = 0\n", 3, "threads"},
      {"threads_type", kDaemon + "threads = \"2\"\n", 3, "threads"},
      {"workers_range", kDaemon + "workers = 65\n", 3, "workers"},
      {"retention_interval", kDaemon + "[retention]\ninterval = \"0s\"\n", 4, "interval"},
      {"unknown_table", kDaemon + "[deamon]\nlisten = \"x\"\n", 3, "deamon"},
      {"syntax", kDaemon + "listen = \n", 3, "expected value"},  // TOML syntax: no key
      {"kernel_key", kDaemon + kKernel + "tabels = [\"main\"]\n", 6, "tabels"},
      {"kernel_range", kDaemon + kKernel + "debounce_ms = -1\n", 6, "debounce_ms"},
      {"kernel_netns", kDaemon + kKernel + "netns = \"nstest-does-not-exist\"\n", 6, "netns"},
      {"resolver_format",
       kDaemon +
           "[[source]]\nname = \"r\"\nkind = \"resolver\"\nformat = \"bind\"\npath = \"/x\"\n",
       6, "format"},
      {"resolver_key",
       kDaemon + "[[source]]\nname = \"r\"\nkind = \"resolver\"\nformat = \"dnsmasq\"\n"
                 "path = \"/x\"\nreload_timeout = 3\n",
       8, "reload_timeout"},
      {"source_kind", kDaemon + "[[source]]\nname = \"x\"\nkind = \"bgp\"\n", 3, "bgp"},
      {"source_name_at", kDaemon + "[[source]]\nname = \"k@1\"\nkind = \"kernel\"\n", 3, "k@1"},
      {"source_name_dots", kDaemon + "[[source]]\nname = \"..\"\nkind = \"kernel\"\n", 3,
       "not starting with '.'"},
      {"policy_action", kDaemon + kKernel + "[[policy]]\naction = \"fix\"\n", 7, "action"},
      {"policy_source", kDaemon + kKernel + "[[policy]]\nsource = \"nope\"\n", 6, "nope"},
      {"policy_key", kDaemon + kKernel + "[[policy]]\nmass_shar = 0.5\n", 7, "mass_shar"},
      {"listen_public", kDaemon + "listen = \"0.0.0.0:8470\"\n", 3, "listen"},
      {"listen_bad", kDaemon + "listen = \"localhost\"\n", 3, "listen"},
      {"log_level", kDaemon + "log_level = \"loud\"\n", 3, "log_level"},
      {"token_mode", kDaemon + "token_file = \"" + dir + "/tokens-0644\"\n", 3, "0644"},
      {"token_line", kDaemon + "token_file = \"" + dir + "/tokens-bad\"\n", 3, "tokens-bad:2"},
  };
}

TEST(CheckConfigTest, BadFilesNameFileLineAndKeyExitTwoAndCreateNothing) {
  TempDir dir;
  WriteFile(dir.Sub("tokens-0644"), "secret-token-1234567890 operator ops\n", 0644);
  WriteFile(dir.Sub("tokens-bad"), "secret-token-1234567890 operator ops\nshort\n", 0600);
  const std::set<std::string> before = Entries(dir.path());
  for (const BadFile& b : BadFiles(dir.path())) {
    SCOPED_TRACE(b.name);
    const std::string path = dir.Sub(std::string(b.name) + ".toml");
    WriteFile(path, b.toml);
    std::string out;
    EXPECT_EQ(RunBinary(EnvPath("SNAPSHOTD"), {"--check-config", path}, &out), 2) << out;
    EXPECT_NE(out.find(path + ":" + std::to_string(b.line)), std::string::npos) << out;
    EXPECT_NE(out.find(b.key), std::string::npos) << out;
    // Start-up refuses the same file the same way, before it touches anything.
    std::string start;
    EXPECT_EQ(RunBinary(EnvPath("SNAPSHOTD"), {"--config", path}, &start), 2) << start;
    EXPECT_EQ(start, out);
    std::remove(path.c_str());
    EXPECT_EQ(Entries(dir.path()), before) << "a check left files behind";
  }
}

TEST(CheckConfigTest, ValidFilePrintsOneLineAndCreatesNothing) {
  TempDir dir;
  const std::string path = dir.Sub("ok.toml");
  WriteFile(path,
            kDaemon + kKernel + "[retention]\nkeep_all = \"1d\"\n[[policy]]\naction = \"alert\"\n");
  std::string out;
  EXPECT_EQ(RunBinary(EnvPath("SNAPSHOTD"), {"--check-config", path}, &out), 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("1 sources (k)"), std::string::npos) << out;
  // A relative data_dir is relative to the file's folder.
  EXPECT_NE(out.find("data in " + dir.Sub("data")), std::string::npos) << out;
  EXPECT_EQ(Entries(dir.path()), std::set<std::string>{"ok.toml"});
}

TEST(CheckConfigTest, ShippedDefaultConfigurationIsValid) {
  std::string out;
  EXPECT_EQ(
      RunBinary(EnvPath("SNAPSHOTD"),
                {"--check-config", EnvPath("NETSNAP_SOURCE_ROOT") + "/dist/snapshotd.toml"}, &out),
      0)
      << out;
}

TEST(CheckConfigTest, StateDirectoryIsTheDefaultDataDir) {
  TempDir dir;
  const std::string path = dir.Sub("ok.toml");
  WriteFile(path, kKernel);
  std::string out;
  EXPECT_EQ(RunBinary("/usr/bin/env",
                      {"STATE_DIRECTORY=" + dir.Sub("state"), EnvPath("SNAPSHOTD"),
                       "--check-config", path},
                      &out),
            0)
      << out;
  EXPECT_NE(out.find("data in " + dir.Sub("state")), std::string::npos) << out;
}

TEST(VersionTest, BothBinariesPrintTheVersionAndExitZero) {
  for (const char* binary : {"SNAPSHOTD", "NETSNAP_CLI"}) {
    std::string out;
    EXPECT_EQ(RunBinary(EnvPath(binary), {"--version"}, &out), 0) << binary << ": " << out;
    EXPECT_NE(out.find(EnvPath("NETSNAP_VERSION")), std::string::npos) << out;
    EXPECT_NE(out.find("("), std::string::npos) << "no git describe: " << out;
  }
}

TEST(VersionTest, UsageErrorsExitTwo) {
  std::string out;
  EXPECT_EQ(RunBinary(EnvPath("SNAPSHOTD"), {"--no-such-flag"}, &out), 2) << out;
  EXPECT_EQ(RunBinary(EnvPath("SNAPSHOTD"), {"--help"}, &out), 0) << out;
}

}  // namespace
}  // namespace netsnap::testing
