// dist/netsnap.bash-completion offers exactly what the real CLI accepts: its commands equal the
// subcommands `netsnap --help` lists, and each command's options equal those `netsnap CMD --help`
// lists. A command or option added to client/main.cc without its completion fails here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "snapshotd_process.h"

namespace netsnap::testing {
namespace {

std::set<std::string> Words(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

std::string Completion() {
  std::ifstream in(std::string(std::getenv("NETSNAP_SOURCE_ROOT")) +
                   "/dist/netsnap.bash-completion");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The help text of `netsnap ARGS --help`.
std::string Help(std::vector<std::string> args) {
  args.push_back("--help");
  std::string out;
  EXPECT_EQ(RunBinary(EnvPath("NETSNAP_CLI"), args, &out), 0) << out;
  return out;
}

// The first word of each line of the help's `section` ("Subcommands:" or "Options:").
std::set<std::string> Section(const std::string& help, const std::string& section) {
  std::set<std::string> out;
  std::istringstream in(help);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == section) {
      inside = true;
    } else if (inside && line.empty()) {
      inside = false;
    } else if (inside && line.rfind("  ", 0) == 0 && line[2] != ' ') {
      std::string first = line.substr(2, line.find(' ', 2) - 2);
      std::istringstream names(first);  // "-h,--help" and "--yes,-y" name one option twice
      for (std::string n; std::getline(names, n, ',');) out.insert(n);
    }
  }
  return out;
}

TEST(Completion, CommandsAreTheCliSubcommands) {
  std::smatch m;
  const std::string text = Completion();
  ASSERT_TRUE(std::regex_search(text, m, std::regex("local commands=\"([^\"]*)\"")));
  EXPECT_EQ(Words(m[1]), Section(Help({}), "Subcommands:"));
  ASSERT_TRUE(std::regex_search(text, m, std::regex("local global_opts=\"([^\"]*)\"")));
  EXPECT_EQ(Words(m[1]), Section(Help({}), "Options:"));
}

TEST(Completion, EachCommandOffersItsOwnOptions) {
  const std::string text = Completion();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex("local commands=\"([^\"]*)\"")));
  for (const std::string& cmd : Words(m[1])) {
    SCOPED_TRACE(cmd);
    std::set<std::string> offered = {"--help", "-h"};
    std::smatch o;
    if (std::regex_search(text, o, std::regex("\n    " + cmd + "\\) opts\\+=\" ([^\"]*)\""))) {
      for (const std::string& w : Words(o[1])) offered.insert(w);
    }
    EXPECT_EQ(offered, Section(Help({cmd}), "Options:"));
  }
}

}  // namespace
}  // namespace netsnap::testing
