#include "sources/kernel/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace netsnap::kernel {

std::string NetnsPath(const std::string& spec) {
  if (spec.empty()) return "";
  if (spec.find('/') != std::string::npos) return spec;
  return "/run/netns/" + spec;
}

Status OpenNetns(const std::string& spec, int* fd) {
  *fd = -1;
  if (spec.empty()) return Status::OK();
  if (spec == "." || spec == "..") return Status::InvalidArgument("bad netns name '" + spec + "'");
  std::string path = NetnsPath(spec);
  int f = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f < 0) {
    return errno == ENOENT ? Status::NotFound("network namespace " + path + " does not exist")
                           : Status::IOError("open " + path + ": " + std::strerror(errno));
  }
  *fd = f;
  return Status::OK();
}

Status EnterNetns(int fd) {
  if (fd < 0) return Status::OK();
  if (setns(fd, CLONE_NEWNET) != 0) {
    return Status::IOError(std::string("setns: ") + std::strerror(errno));
  }
  return Status::OK();
}

Status RunInNetns(int fd, const std::function<Status()>& fn) {
  if (fd < 0) return fn();
  Status result;
  std::thread t([&] {
    result = EnterNetns(fd);
    if (result.ok()) result = fn();
  });
  t.join();
  return result;
}

}  // namespace netsnap::kernel
