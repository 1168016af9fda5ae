// A temporary folder that a test owns (/tmp/nstest-XXXXXX, mode 0700); removed with everything
// in it when destroyed.
#pragma once

#include <string>

namespace netsnap::testing {

// Every namespace, folder and process a test makes is named with this prefix, so that
// `tools/dev test` can remove what a crashed test left behind (/tmp/nstest-*, `ip netns`).
inline constexpr const char* kTestPrefix = "nstest-";

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace netsnap::testing
