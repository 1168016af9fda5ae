#include "resolver_test_util.h"
#include "sources/resolver/file_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <toml++/toml.h>
#include <chrono>
#include <fstream>
#include <sstream>

#include "sources/registry.h"

namespace netsnap::testing {

void WriteFile(const std::string& path, const std::string& content, unsigned mode) {
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << content;
    ASSERT_TRUE(f.good()) << path;
  }
  chmod(path.c_str(), mode);
}

void ReplaceFile(const std::string& path, const std::string& content) {
  WriteFile(path + ".tmp", content);
  ASSERT_EQ(0, rename((path + ".tmp").c_str(), path.c_str()));
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Snapshot ReadPass(ResolverFormat format, const std::string& path, const ReadLimits& limits,
                  std::vector<std::string> roots) {
  if (roots.empty()) roots.push_back(ParentDir(path));
  FileTree tree(std::move(roots), {});
  ResolverPass pass;
  Status st = ReadResolverFiles(format, path, tree, limits, &pass);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return pass.snapshot;
}

std::map<std::string, ResolverRule> Rules(const Snapshot& s) {
  std::map<std::string, ResolverRule> out;
  for (RecordRef r : s) {
    if (KindOfKey(r.key) != RecordKind::kResolverRule) continue;
    ResolverRule rule;
    Status st = ResolverRule::FromRecord(r, &rule);
    EXPECT_TRUE(st.ok()) << st.ToString();
    out[rule.domain] = rule;
  }
  return out;
}

std::map<std::string, ResolverSetting> Settings(const Snapshot& s) {
  std::map<std::string, ResolverSetting> out;
  for (RecordRef r : s) {
    if (KindOfKey(r.key) != RecordKind::kResolverSetting) continue;
    ResolverSetting x;
    Status st = ResolverSetting::FromRecord(r, &x);
    EXPECT_TRUE(st.ok()) << st.ToString();
    out[x.name] = x;
  }
  return out;
}

std::map<std::string, ConfigFile> Files(const Snapshot& s) {
  std::map<std::string, ConfigFile> out;
  for (RecordRef r : s) {
    if (KindOfKey(r.key) != RecordKind::kFile) continue;
    ConfigFile f;
    Status st = ConfigFile::FromRecord(r, &f);
    EXPECT_TRUE(st.ok()) << st.ToString();
    out[f.path] = f;
  }
  return out;
}

std::vector<std::string> Targets(const ResolverRule& r) {
  std::vector<std::string> out;
  for (const ResolverTarget& t : r.targets) {
    out.push_back(t.address + (t.port ? "#" + std::to_string(t.port) : "") + t.extra);
  }
  return out;
}

void RecordingSink::OnSnapshot(Snapshot snapshot, Cause cause, const Actor&, int64_t,
                               Writer writer) {
  std::lock_guard<std::mutex> l(mu_);
  deliveries_.push_back({std::move(snapshot), cause, writer});
  cv_.notify_all();
}

void RecordingSink::OnChanges(Delta, Cause, const Actor&, int64_t, Writer) {
  std::lock_guard<std::mutex> l(mu_);
  ++deltas_;
}

void RecordingSink::OnError(const Status& error) {
  std::lock_guard<std::mutex> l(mu_);
  errors_.push_back(error.ToString());
}

void RecordingSink::Count(std::string_view, uint64_t) {}

void RecordingSink::OnWarnings(std::vector<SourceWarning> warnings) {
  std::lock_guard<std::mutex> l(mu_);
  warnings_ = std::move(warnings);
}

std::vector<SourceWarning> RecordingSink::warnings() {
  std::lock_guard<std::mutex> l(mu_);
  return warnings_;
}

bool RecordingSink::WaitFor(size_t n, int timeout_ms) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, std::chrono::milliseconds(timeout_ms),
                      [&] { return deliveries_.size() >= n; });
}

std::vector<Delivery> RecordingSink::deliveries() {
  std::lock_guard<std::mutex> l(mu_);
  return deliveries_;
}

size_t RecordingSink::size() {
  std::lock_guard<std::mutex> l(mu_);
  return deliveries_.size();
}

std::vector<std::string> RecordingSink::errors() {
  std::lock_guard<std::mutex> l(mu_);
  return errors_;
}

int RecordingSink::deltas() {
  std::lock_guard<std::mutex> l(mu_);
  return deltas_;
}

std::unique_ptr<Source> MakeSource(const std::string& toml_text) {
  toml::table doc = toml::parse(toml_text);
  const toml::table* t = doc["source"][0].as_table();
  EXPECT_NE(t, nullptr);
  if (!t) return nullptr;
  SourceSpec spec;
  spec.name = t->get("name") ? t->get("name")->value_or(std::string("resolver")) : "resolver";
  spec.kind = "resolver";
  spec.config = t;
  std::unique_ptr<Source> src;
  Status st = NewSource(spec, &src);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return src;
}

}  // namespace netsnap::testing
