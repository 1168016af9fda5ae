#include "sources/kernel/kernel_source.h"

#include <toml++/toml.h>

#include <unistd.h>

#include <chrono>

#include "common/mutex.h"
#include "sources/kernel/capture_loop.h"
#include "sources/kernel/kernel_apply.h"
#include "sources/kernel/kernel_config.h"
#include "sources/kernel/netns.h"
#include "sources/kernel/state_reader.h"

namespace netsnap {

namespace {

using kernel::KernelConfig;
using kernel::NetlinkSocket;

constexpr int kRequestRcvbuf = 16 << 20;  // room for the acknowledgements of a batch
constexpr std::chrono::milliseconds kSyncLimit{10'000};
constexpr size_t kFilterMinChanges = 4096;  // smaller changes are followed by notification

class KernelSource final : public Source {
 public:
  KernelSource(std::string name, KernelConfig config, int netns_fd)
      : Source(std::move(name)), config_(std::move(config)), netns_fd_(netns_fd) {}

  ~KernelSource() override {
    Stop();
    if (netns_fd_ >= 0) close(netns_fd_);
  }

  std::string_view kind() const override { return "kernel"; }

  std::string NetnsPath() const override {
    if (config_.netns.empty() || config_.netns.find('/') != std::string::npos) return config_.netns;
    return "/run/netns/" + config_.netns;
  }
  std::string where() const override {
    return config_.netns.empty() ? "own network namespace" : "netns " + config_.netns;
  }

  Status Start(CaptureSink* sink) override {
    // capture_mu_ is not held while the first snapshot is delivered: the sink may call Sync.
    MutexLock s(&start_mu_);
    if (Capturing()) return Status::Internal("kernel source '" + name() + "' already started");
    auto loop = std::make_shared<kernel::CaptureLoop>(config_, netns_fd_, sink);
    NETSNAP_RETURN_IF_ERROR(loop->Start().WithContext("kernel source '" + name() + "'"));
    MutexLock l(&capture_mu_);
    capture_ = std::move(loop);
    return Status::OK();
  }

  void Stop() override {
    MutexLock s(&start_mu_);
    std::shared_ptr<kernel::CaptureLoop> loop;
    {
      MutexLock l(&capture_mu_);
      loop = std::move(capture_);
    }
    // A Sync in progress holds the loop too; Stop wakes it, and it returns Unavailable.
    if (loop) loop->Stop();
  }

  size_t SyncWaiters() override {
    MutexLock l(&capture_mu_);
    return capture_ ? capture_->SyncWaiters() : 0;
  }

  Status Sync() override {
    std::shared_ptr<kernel::CaptureLoop> loop = Capturing();
    if (!loop) return Status::Unavailable("kernel source '" + name() + "' is not capturing");
    return loop->Sync(kSyncLimit).WithContext("kernel source '" + name() + "'");
  }

  Status ReadLive(Snapshot* out) override {
    MutexLock l(&request_mu_);
    NETSNAP_RETURN_IF_ERROR(OpenRequestSocket());
    kernel::LinkNames links;
    kernel::StateDump dump;
    Status s = kernel::ReadLinks(request_.get(), &links);
    if (s.ok()) s = kernel::ReadState(request_.get(), config_.filter, links, &dump);
    if (!s.ok()) {
      request_.reset();  // a fresh socket next time
      return s.WithContext("kernel source '" + name() + "'");
    }
    *out = std::move(dump.snapshot);
    return Status::OK();
  }

  Status Apply(const Delta& changes, ApplyResult* result) override {
    MutexLock l(&request_mu_);
    NETSNAP_RETURN_IF_ERROR(OpenRequestSocket());
    kernel::LinkNames links;
    Status s = kernel::ReadLinks(request_.get(), &links);
    // The capture tells the daemon's notifications by the request socket's port id. Following
    // a notification (read in rounds, beside the change) costs about twice what a dumped record
    // does: past half the table, the kernel drops the daemon's notifications and one re-dump
    // after the change is cheaper.
    std::shared_ptr<kernel::CaptureLoop> loop = s.ok() ? Capturing() : nullptr;
    if (loop) {
      loop->BeginOwnWrites(
          request_->port_id(),
          changes.size() >= kFilterMinChanges && changes.size() * 2 >= loop->last_dump_records());
    }
    if (s.ok()) s = kernel::ApplyChanges(request_.get(), links, changes, result);
    if (loop) loop->EndOwnWrites();
    if (!s.ok()) {
      request_.reset();
      return s.WithContext("kernel source '" + name() + "'");
    }
    return Status::OK();
  }

 private:
  std::shared_ptr<kernel::CaptureLoop> Capturing() EXCLUDES(capture_mu_) {
    MutexLock l(&capture_mu_);
    return capture_;
  }

  // The socket for ReadLive and Apply, opened in the source's namespace from a short-lived
  // thread (a socket keeps the namespace it was created in).
  Status OpenRequestSocket() REQUIRES(request_mu_) {
    if (request_) return Status::OK();
    return kernel::RunInNetns(netns_fd_, [this]() REQUIRES(request_mu_) {
      return NetlinkSocket::Open({}, kRequestRcvbuf, &request_);
    });
  }

  const KernelConfig config_;
  const int netns_fd_;
  Mutex start_mu_ ACQUIRED_BEFORE(capture_mu_);  // serialises Start and Stop
  Mutex capture_mu_;
  // Shared with Sync calls in progress, so that Stop need not wait for them.
  std::shared_ptr<kernel::CaptureLoop> capture_ GUARDED_BY(capture_mu_);
  Mutex request_mu_;  // one ReadLive or Apply at a time on the request socket
  std::unique_ptr<NetlinkSocket> request_ GUARDED_BY(request_mu_);
};

}  // namespace

Status NewKernelSource(const SourceSpec& spec, std::unique_ptr<Source>* out) {
  KernelConfig config;
  NETSNAP_RETURN_IF_ERROR(kernel::ParseKernelConfig(spec.name, spec.config, &config));
  int fd = -1;
  Status s = kernel::OpenNetns(config.netns, &fd);
  if (!s.ok()) {
    const toml::node* n = spec.config ? spec.config->get("netns") : nullptr;
    std::string where = n && n->source().path ? *n->source().path + ":" +
                                                    std::to_string(n->source().begin.line) + ": "
                                              : "";
    return s.WithContext(where + "source '" + spec.name + "': netns");
  }
  *out = std::make_unique<KernelSource>(spec.name, std::move(config), fd);
  return Status::OK();
}

}  // namespace netsnap
