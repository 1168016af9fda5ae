// Kernel source settings: defaults, filters, and errors that name the key and line.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "sources/kernel/kernel_config.h"
#include "sources/registry.h"

namespace netsnap::kernel {
namespace {

Status Parse(const std::string& text, KernelConfig* out) {
  toml::table t = toml::parse(text);
  return ParseKernelConfig("k", &t, out);
}

TEST(KernelConfig, Defaults) {
  KernelConfig c;
  ASSERT_TRUE(ParseKernelConfig("k", nullptr, &c).ok());
  EXPECT_EQ(c.netns, "");
  EXPECT_EQ(c.debounce_ms, 100);
  EXPECT_EQ(c.max_delay_ms, 1000);
  EXPECT_EQ(c.resync_s, 300);
  EXPECT_FALSE(c.filter.include_protocol_kernel);
}

TEST(KernelConfig, ReadsSettings) {
  KernelConfig c;
  ASSERT_TRUE(Parse("name = \"k\"\nkind = \"kernel\"\nnetns = \"blue\"\ndebounce_ms = 50\n"
                    "max_delay_ms = 500\nresync_s = 0\nrcvbuf = 65536\n"
                    "include_protocol_kernel = true\ntables = [\"main\", 100]\n"
                    "exclude_tables = [\"local\"]",
                    &c)
                  .ok());
  EXPECT_EQ(c.netns, "blue");
  EXPECT_EQ(c.debounce_ms, 50);
  EXPECT_EQ(c.resync_s, 0);
  EXPECT_EQ(c.rcvbuf, 65536);
  EXPECT_TRUE(c.filter.include_protocol_kernel);
  EXPECT_EQ(c.filter.tables, (std::vector<uint32_t>{254, 100}));
  EXPECT_EQ(c.filter.exclude_tables, (std::vector<uint32_t>{255}));
}

TEST(KernelConfig, BadValuesNameKeyAndLine) {
  KernelConfig c;
  Status s = Parse("netns = \"x\"\ndebounce_ms = \"fast\"", &c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("debounce_ms"), std::string::npos) << s.message();

  s = Parse("\n\ntables = [\"nosuch\"]", &c);
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
  s = Parse("resync_s = -1", &c);
  EXPECT_FALSE(s.ok());
  s = Parse("debounce_ms = 500\nmax_delay_ms = 100", &c);
  EXPECT_FALSE(s.ok());
  s = Parse("debounse_ms = 5", &c);
  EXPECT_NE(s.message().find("debounse_ms"), std::string::npos) << s.message();
}

TEST(KernelConfig, RegisteredAsKernelKind) {
  bool found = false;
  for (std::string_view k : SourceKinds()) found |= k == "kernel";
  EXPECT_TRUE(found);
  toml::table t = toml::parse("netns = \"/nonexistent/ns\"");
  std::unique_ptr<Source> src;
  EXPECT_TRUE(NewSource({"k", "kernel", &t}, &src).IsNotFound());
}

}  // namespace
}  // namespace netsnap::kernel
