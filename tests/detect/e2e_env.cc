#include "e2e_env.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "core/config.h"
#include "netsnap/time.h"

namespace netsnap::testing {

void DetectEnv::Settle(const std::string& source) {
  ASSERT_TRUE(daemon_->FindSource(source)->source()->Sync().ok());
  ASSERT_TRUE(detection_->WaitIdle(std::chrono::seconds(30)));
  ASSERT_TRUE(Eventually(
      [&] {
        boost::json::object policy;
        if (!detection_->GetPolicy(source, &policy).ok()) return false;
        const boost::json::object& st = policy["state"].as_object();
        return st.at("pending") == 0 && st.at("running") == false;
      },
      std::chrono::seconds(30)));
}

bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

boost::json::object Fields(const StoredEvent& e) { return boost::json::parse(e.json).as_object(); }

DetectEnv::~DetectEnv() { Stop(); }

Status DetectEnv::Start(const std::string& toml, const Clock* clock) {
  DaemonConfig config;
  NETSNAP_RETURN_IF_ERROR(
      ParseConfig("[daemon]\ndata_dir = \"" + dir_.path() + "\"\n" + toml, "test.toml", &config));
  daemon_ = std::make_unique<Daemon>(config);
  NETSNAP_RETURN_IF_ERROR(daemon_->Start());
  rollbacks_ = std::make_unique<RollbackManager>(RollbackDeps::Of(daemon_.get()));
  NETSNAP_RETURN_IF_ERROR(rollbacks_->Start());
  return Detection::Create(daemon_.get(), rollbacks_.get(), daemon_->config(), &detection_, clock);
}

void DetectEnv::Stop() {
  if (detection_) detection_->Stop();
  if (rollbacks_) rollbacks_->Stop();
  if (daemon_) daemon_->Stop();
  detection_.reset();
  rollbacks_.reset();
  daemon_.reset();
}

std::vector<StoredEvent> DetectEnv::Events(const std::string& type) {
  std::vector<StoredEvent> all, out;
  Status s = daemon_->store()->ListEvents(0, 0, 100000, &all);
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (StoredEvent& e : all) {
    if (type.empty() || e.type == type) out.push_back(std::move(e));
  }
  return out;
}

bool DetectEnv::WaitForEvent(const std::string& type,
                             const std::function<bool(const StoredEvent&)>& pred,
                             std::chrono::milliseconds limit, StoredEvent* out) {
  return Eventually(
      [&] {
        for (const StoredEvent& e : Events(type)) {
          if (pred(e)) {
            if (out) *out = e;
            return true;
          }
        }
        return false;
      },
      limit);
}

bool DetectEnv::WaitForRecords(const std::string& source, size_t records,
                               std::chrono::milliseconds limit) {
  Recorder* rec = daemon_->FindSource(source);
  if (!rec) return false;
  if (!Eventually([&] { return rec->current().size() == records; }, limit)) return false;
  return detection_->WaitIdle(limit);
}

Child::Child(const std::string& command) {
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
}

Child::~Child() { Kill(); }

void Child::Kill() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);  // its own process group: the shell and what it started
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace netsnap::testing
