#include "api/peer.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace netsnap::api {

namespace {

// getpwuid_r/getgrnam_r need a buffer; entries with very long member lists need more.
constexpr size_t kMaxEntryBuffer = 1 << 20;

// The passwd entry of `uid`: its name and primary gid, when it has one.
bool LookUpUser(uid_t uid, std::string* name, gid_t* primary) {
  std::vector<char> buf(1024);
  for (;;) {
    passwd pw, *res = nullptr;
    int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &res);
    if (rc == ERANGE && buf.size() < kMaxEntryBuffer) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (rc != 0 || !res) return false;
    *name = pw.pw_name;
    *primary = pw.pw_gid;
    return true;
  }
}

// True when the group database lists `user` (primary group `primary`) in `group`.
bool UserInGroup(const std::string& user, gid_t primary, gid_t group) {
  if (primary == group) return true;
  std::vector<gid_t> groups(64);
  for (;;) {
    int n = static_cast<int>(groups.size());
    if (getgrouplist(user.c_str(), primary, groups.data(), &n) >= 0) {
      return std::find(groups.begin(), groups.begin() + n, group) != groups.begin() + n;
    }
    if (static_cast<size_t>(n) <= groups.size() || static_cast<size_t>(n) > 65536) return false;
    groups.resize(static_cast<size_t>(n));
  }
}

}  // namespace

Principal SocketPrincipal(uid_t uid, gid_t gid, std::optional<gid_t> operator_group) {
  std::string user;
  gid_t primary = 0;
  bool known = LookUpUser(uid, &user, &primary);
  Principal p;
  p.name = known ? user + " (uid " + std::to_string(uid) + ")" : "uid " + std::to_string(uid);
  bool op = uid == 0;
  if (!op && operator_group) {
    op = gid == *operator_group || (known && UserInGroup(user, primary, *operator_group));
  }
  p.role = op ? Role::kOperator : Role::kViewer;
  return p;
}

Status LookUpGroup(const std::string& name, gid_t* out) {
  std::vector<char> buf(1024);
  for (;;) {
    group gr, *res = nullptr;
    int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res);
    if (rc == ERANGE && buf.size() < kMaxEntryBuffer) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (rc != 0 || !res) return Status::NotFound("no group named '" + name + "'");
    *out = gr.gr_gid;
    return Status::OK();
  }
}

}  // namespace netsnap::api
