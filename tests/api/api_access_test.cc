// Who may act through the API, per channel: TCP without tokens (viewers), the Unix socket (uid
// and group from the kernel), as root and as a real `nobody` (runuser), through the real CLI.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>

#include "api/peer.h"
#include "api_harness.h"
#include "shell.h"

namespace netsnap::testing {
namespace {

// The CLI, copied where `nobody` may run it: the build tree may sit below a folder only root can
// enter (a clone in a mktemp -d folder is 0700). "" when NETSNAP_CLI is not set. The copy's
// folder is removed when the test program exits (it was left behind, 48 MB a run).
std::string Cli() {
  static const TempDir dir;
  static const std::string copy = [] {
    const char* cli = std::getenv("NETSNAP_CLI");
    if (!cli) return std::string();
    if (chmod(dir.path().c_str(), 0755) != 0) return std::string(cli);
    std::string path = dir.Sub("netsnap");
    std::string cmd = "cp '" + std::string(cli) + "' '" + path + "' && chmod 0755 '" + path + "'";
    return std::system(cmd.c_str()) == 0 ? path : std::string(cli);
  }();
  return copy;
}

// The `who` of every audit event, oldest first.
std::vector<std::string> AuditWho(const std::string& socket) {
  HttpReply r = HttpSocket(socket, "GET", "/v1/events?type=audit");
  std::vector<std::string> who;
  if (r.status != 200) return who;
  boost::json::value v = r.json();
  for (const auto& e : v.at("events").as_array()) {
    who.emplace_back(e.at("who").as_string());
  }
  return who;
}

// A temporary group, deleted at the end.
class TempGroup {
 public:
  TempGroup() : name_("nstest" + std::to_string(getpid())) {
    ok_ = ShellCombined("groupadd " + name_) == 0;
  }
  ~TempGroup() {
    if (ok_) ShellCombined("groupdel " + name_);
  }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  bool ok_ = false;
};

// A harness with the socket at DIR/run/api.sock, DIR open to everyone so that only the socket's
// own mode decides who may connect.
class ApiAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Cli().empty()) GTEST_SKIP() << "NETSNAP_CLI is not set";
    ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
  }
  void Start(ApiOptions opts = {}) {
    opts.socket = socket_;
    h_ = std::make_unique<ApiHarness>(opts);
  }
  // `netsnap ARGS` as nobody (runuser OPTIONS), on the socket.
  int AsNobody(const std::string& runuser_opts, const std::string& args, std::string* out) {
    return ShellCombined(
        "runuser -u nobody " + runuser_opts + " -- " + Cli() + " --socket " + socket_ + " " + args,
        out);
  }

  TempDir dir_;
  std::string socket_ = dir_.Sub("run/api.sock");
  std::unique_ptr<ApiHarness> h_;
};

TEST_F(ApiAccess, TcpWithoutTokensIsReadOnlyForEveryone) {
  Start();
  std::string server = " --server " + h_->base_url() + " ";
  std::string out;
  EXPECT_EQ(ShellCombined("runuser -u nobody -- " + Cli() + server + "sources", &out), 0) << out;
  EXPECT_EQ(ShellCombined("runuser -u nobody -- " + Cli() + server + "snapshot main", &out), 5)
      << out;
  EXPECT_NE(out.find(socket_), std::string::npos) << "the 403 names the socket: " << out;
  EXPECT_NE(out.find("token file"), std::string::npos) << out;
  EXPECT_EQ(
      ShellCombined("runuser -u nobody -- " + Cli() + server + "rollback main --to 1 --yes", &out),
      5)
      << out;
  // Root over TCP is no different: the TCP peer's uid is unknown.
  EXPECT_EQ(ShellCombined(Cli() + server + "snapshot main", &out), 5) << out;
  HttpReply r = Http(h_->port(), "POST", "/v1/sources/main/snapshots");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json().at("error").at("code"), "forbidden");
  EXPECT_EQ(r.headers["connection"], "close");
  // Refused calls leave no audit events.
  EXPECT_TRUE(AuditWho(socket_).empty());
}

TEST_F(ApiAccess, SocketIsClosedToOthersAndRootIsOperator) {
  Start();
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  ASSERT_EQ(stat(dir_.Sub("run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  std::string out;
  EXPECT_EQ(AsNobody("", "sources", &out), 4) << out;  // cannot connect
  EXPECT_NE(out.find("ermission denied"), std::string::npos) << out;

  EXPECT_EQ(ShellCombined(Cli() + " --socket " + socket_ + " snapshot main", &out), 0) << out;
  EXPECT_EQ(ShellCombined("NETSNAP_SOCKET=" + socket_ + " " + Cli() + " snapshot main", &out), 0)
      << out;
  std::vector<std::string> who = AuditWho(socket_);
  ASSERT_EQ(who.size(), 2u);
  EXPECT_EQ(who[0], "root (uid 0)");
  // --server forces TCP, where root is a viewer like anyone.
  EXPECT_EQ(ShellCombined("NETSNAP_SOCKET=" + socket_ + " " + Cli() + " --server " +
                              h_->base_url() + " snapshot main",
                          &out),
            5)
      << out;
}

TEST_F(ApiAccess, SocketGroupMembersAreOperatorsOthersViewers) {
  TempGroup group;
  ASSERT_TRUE(group.ok());
  ApiOptions opts;
  opts.socket_group = group.name();
  Start(opts);
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  std::string out;
  // The group as primary group (SO_PEERCRED's gid): operator.
  EXPECT_EQ(AsNobody("-g " + group.name(), "snapshot main", &out), 0) << out;
  // The group as a supplementary group the group database does not list nobody in: the kernel
  // lets it connect (mode 0660), but it is a viewer.
  EXPECT_EQ(AsNobody("-g nogroup -G " + group.name(), "sources", &out), 0) << out;
  EXPECT_EQ(AsNobody("-g nogroup -G " + group.name(), "snapshot main", &out), 5) << out;
  // Listed in the group database: operator.
  ASSERT_EQ(ShellCombined("gpasswd -a nobody " + group.name()), 0);
  EXPECT_EQ(AsNobody("-g nogroup -G " + group.name(), "snapshot main", &out), 0) << out;
  std::vector<std::string> who = AuditWho(socket_);
  ASSERT_EQ(who.size(), 2u);
  EXPECT_EQ(who[0], "nobody (uid 65534)");
  EXPECT_EQ(who[1], "nobody (uid 65534)");
}

TEST_F(ApiAccess, StaleSocketIsReplacedOtherFilesAreNot) {
  Start();
  // A second server on the same path is refused while the first listens.
  ApiOptions opts;
  opts.socket = socket_;
  opts.listen = "127.0.0.1:0";
  std::unique_ptr<ApiServer> second;
  api::ApiContext ctx;
  ctx.store = h_->store();
  ctx.events = h_->daemon()->events();
  ctx.metrics = h_->daemon()->metrics();
  Status s = ApiServer::Start(ctx, opts, &second);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("another server"), std::string::npos) << s.ToString();
  h_.reset();
  // The first removed its socket on stop; a leftover socket file (a crash) is replaced.
  EXPECT_NE(access(socket_.c_str(), F_OK), 0);
  ASSERT_EQ(ShellCombined("python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('" +
                          socket_ + "')\""),
            0);
  Start();
  EXPECT_EQ(HttpSocket(socket_, "GET", "/v1/health").status, 200);
  h_.reset();
  // A file that is not a socket is never removed.
  ASSERT_EQ(ShellCombined("touch " + socket_), 0);
  EXPECT_THROW(Start(), std::runtime_error);
  EXPECT_EQ(access(socket_.c_str(), F_OK), 0);
}

// The [daemon] settings as snapshotd reads them from its file: socket, socket_group and
// allowed_hosts reach the server.
TEST_F(ApiAccess, SnapshotdTakesTheSocketSettingsFromItsFile) {
  const char* snapshotd = std::getenv("NETSNAP_SNAPSHOTD");
  if (!snapshotd) GTEST_SKIP() << "NETSNAP_SNAPSHOTD is not set";
  TempGroup group;
  ASSERT_TRUE(group.ok());
  // A free port: bound by the kernel, then released for the daemon.
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  uint16_t port = ntohs(addr.sin_port);
  close(probe);
  std::ofstream(dir_.Sub("netsnap.toml"))
      << "[daemon]\ndata_dir = \"" << dir_.Sub("data") << "\"\nlisten = \"127.0.0.1:" << port
      << "\"\nsocket = \"" << socket_ << "\"\nsocket_group = \"" << group.name()
      << "\"\nallowed_hosts = [\"netsnap.example\"]\n";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(snapshotd, snapshotd, "--config", dir_.Sub("netsnap.toml").c_str(), nullptr);
    _exit(127);
  }
  bool up = false;
  for (int i = 0; i < 600 && !up; ++i) {
    up = HttpSocket(socket_, "GET", "/v1/health").status == 200;
    if (!up) usleep(50 * 1000);  // polling for the daemon's socket, bounded at 30 s
  }
  EXPECT_TRUE(up);
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  gid_t gid = 0;
  ASSERT_TRUE(api::LookUpGroup(group.name(), &gid).ok());
  EXPECT_EQ(st.st_gid, gid);
  std::string out;
  // A group member passes authorisation (then meets a 404: the daemon has no source "x").
  EXPECT_EQ(AsNobody("-g " + group.name(), "snapshot x", &out), 3) << out;
  HttpRequest req;
  req.host = "127.0.0.1";
  req.port = std::to_string(port);
  req.target = "/v1/health";
  req.headers = {{"Host", "netsnap.example"}};
  EXPECT_EQ(Send(req).status, 200);
  req.headers = {{"Host", "other.example"}};
  EXPECT_EQ(Send(req).status, 421);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(access(socket_.c_str(), F_OK), 0) << "the socket is removed at stop";
}

}  // namespace
}  // namespace netsnap::testing
