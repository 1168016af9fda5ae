// The outcome of the last configuration reload (SIGHUP), shown in GET /v1/health.
#pragma once

#include <cstdint>
#include <string>

#include "common/mutex.h"

namespace netsnap {

struct ReloadOutcome {
  bool attempted = false;  // no reload since start
  bool ok = true;
  std::string error;  // why the last reload was refused; the old configuration runs
  int64_t time_ns = 0;
};

class ReloadState {
 public:
  void Record(bool ok, std::string error, int64_t time_ns) {
    MutexLock l(&mu_);
    outcome_ = {true, ok, std::move(error), time_ns};
  }
  ReloadOutcome Get() const {
    MutexLock l(&mu_);
    return outcome_;
  }

 private:
  mutable Mutex mu_;
  ReloadOutcome outcome_ GUARDED_BY(mu_);
};

}  // namespace netsnap
