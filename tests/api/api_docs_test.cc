// Runs every ```sh example of docs/api.md (NETSNAP_DOCS, set by meson) against a live daemon
// with tokens, the port substituted. Every curl must get a 2xx, except confirm/cancel of a
// rollback that is not awaiting confirmation (409).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "api_harness.h"

namespace netsnap::testing {
namespace {

std::vector<std::string> ShellBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```sh") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

TEST(ApiDocs, EveryCurlExampleWorks) {
  const char* docs = std::getenv("NETSNAP_DOCS");
  if (!docs) GTEST_SKIP() << "NETSNAP_DOCS is not set";
  std::ifstream f(std::string(docs) + "/api.md");
  ASSERT_TRUE(f) << docs;
  std::stringstream md;
  md << f.rdbuf();
  std::vector<std::string> blocks = ShellBlocks(md.str());
  ASSERT_GE(blocks.size(), 15u);

  ApiHarness h(ApiOptions{}, "docs-operator-token-0123456789 operator docs\n");
  h.Capture(TestRoutes(12, "192.0.2.1"));  // version 2
  setenv("NETSNAP_TOKEN", "docs-operator-token-0123456789", 1);
  setenv("BACKUP_DIR", h.dir().path().c_str(), 1);  // the backup example writes there

  // Each curl reports its HTTP status on stderr.
  const std::string prelude =
      "curl() { command curl -w '%{stderr}HTTP %{http_code}\\n' \"$@\"; }\n";
  for (const std::string& block : blocks) {
    std::string script = std::regex_replace(block, std::regex("127\\.0\\.0\\.1:8470"),
                                            "127.0.0.1:" + std::to_string(h.port()));
    std::string path = h.dir().Sub("example.sh");
    std::ofstream(path) << prelude << script;
    std::string cmd = "sh " + path + " 2>&1 >/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    std::string err;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) err.append(buf, n);
    int rc = WEXITSTATUS(pclose(p));
    bool streams = block.find("--max-time") != std::string::npos;
    EXPECT_TRUE(rc == 0 || (streams && rc == 28)) << block << "exit " << rc << ": " << err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(err, m, std::regex("HTTP (\\d{3})"))) << block << err;
    int status = std::stoi(m[1]);
    bool confirm_or_cancel =
        block.find("/confirm") != std::string::npos || block.find("/cancel") != std::string::npos;
    EXPECT_TRUE((status >= 200 && status < 300) || (confirm_or_cancel && status == 409))
        << block << "-> HTTP " << status;
  }
}

}  // namespace
}  // namespace netsnap::testing
