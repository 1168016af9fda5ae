// docs/openapi.yaml against the real daemon: every operation is called on a real snapshotd
// (successes and the documented errors), and tools/openapi_check.py validates each answer
// against the description, checks the description names exactly the routes the daemon serves,
// and that every operation was answered successfully. A second test lints the description with
// Redocly's CLI (from npm, pinned).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harness.h"
#include "netns.h"

namespace netsnap::e2e {
namespace {

namespace json = boost::json;
using netsnap::testing::NetNs;
using netsnap::testing::Shell;

std::string SourceRoot() {
  const char* root = std::getenv("NETSNAP_SOURCE_ROOT");
  return root ? root : ".";
}

int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

// A daemon with a kernel source "k" on a namespace and a resolver source "r"; every answer a
// call gets is written to answers.jsonl with the route template it exercised.
class E2eOpenApi : public ::testing::Test {
 protected:
  void SetUp() override {
    first = StartKernelAndResolver(&d, ns.path(), &resolv);
    ASSERT_NE(first, 0);
    answers.open(d.dir().Sub("answers.jsonl"));
  }

  // Sends the request and records the answer under `tmpl`.
  HttpReply Call(const std::string& method, const std::string& tmpl, const std::string& target,
                 const std::string& body = "", std::map<std::string, std::string> headers = {},
                 const std::string& token = kOperatorToken) {
    HttpReply r = HttpRequest(d.port(), method, target, token, body, headers);
    json::object a;
    a["method"] = method;
    a["template"] = tmpl;
    a["status"] = r.status;
    a["content_type"] = r.headers.count("content-type") ? r.headers.at("content-type") : "";
    a["body"] = r.body;
    answers << json::serialize(a) << "\n";
    answers.flush();
    return r;
  }

  // Adds `n` routes 10.N.i.0/24 to table main and waits until a version holds them.
  void AddRoutes(int n, int second_octet) {
    std::string batch = d.dir().Sub("batch");
    std::string text;
    for (int i = 0; i < n; ++i)
      text += "route add 10." + std::to_string(second_octet) + "." + std::to_string(i) +
              ".0/24 via 10.99.0.2 dev a0\n";
    WriteFile(batch, text);
    ASSERT_EQ(ns.IpBatch(batch), 0);
    int64_t before = latest;
    json::value v = d.WaitForVersion("k", [&](const json::object& h) {
      return Int(h.at("version")) > before && Int(h.at("records")) >= Int(h.at("added"));
    });
    ASSERT_TRUE(v.is_object());
    latest = Int(v.at("version"));
  }

  NetNs ns;
  Snapshotd d;
  std::string resolv;
  int64_t first = 0, latest = 0;
  std::ofstream answers;
};

TEST_F(E2eOpenApi, EveryOperationAnswersAsDescribed) {
  const std::string json_type = "application/json";
  latest = first;
  AddRoutes(20, 40);

  // Health, sources, metrics.
  EXPECT_EQ(Call("GET", "/v1/health", "/v1/health").status, 200);
  EXPECT_EQ(Call("GET", "/v1/health", "/v1/health", "", {}, "wrong-token").status, 401);
  EXPECT_EQ(Call("GET", "/v1/sources", "/v1/sources").status, 200);
  EXPECT_EQ(Call("GET", "/metrics", "/metrics").status, 200);

  // History.
  const std::string vs = "/v1/sources/{name}/versions";
  HttpReply page = Call("GET", vs, "/v1/sources/k/versions?limit=1");
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_TRUE(page.Json().at("next_cursor").is_string()) << page.body;
  EXPECT_EQ(Call("GET", vs,
                 "/v1/sources/k/versions?limit=1&cursor=" +
                     std::string(page.Json().at("next_cursor").as_string()))
                .status,
            200);
  EXPECT_EQ(Call("GET", vs, "/v1/sources/k/versions?limit=x").status, 400);
  EXPECT_EQ(Call("GET", vs, "/v1/sources/nope/versions").status, 404);
  const std::string v1 = vs + "/{version}";
  EXPECT_EQ(Call("GET", v1, "/v1/sources/k/versions/latest").status, 200);
  EXPECT_EQ(Call("GET", v1, "/v1/sources/r/versions/1").status, 200);
  EXPECT_EQ(Call("GET", v1, "/v1/sources/k/versions/latest?format=text").status, 200);
  EXPECT_EQ(Call("GET", v1, "/v1/sources/k/versions/99999").status, 404);
  HttpReply records = Call("GET", v1, "/v1/sources/k/versions/latest?limit=2");
  ASSERT_EQ(records.status, 200) << records.body;
  EXPECT_TRUE(records.Json().at("next_cursor").is_string()) << records.body;
  EXPECT_EQ(Call("GET", v1, "/v1/sources/k/versions/latest?limit=2&cursor=zz").status, 400);
  const std::string lookup = "/v1/sources/{name}/lookup";
  EXPECT_EQ(Call("GET", lookup, "/v1/sources/k/lookup?dst=10.40.3.9").status, 200);
  EXPECT_EQ(Call("GET", lookup, "/v1/sources/k/lookup?dst=10.40.3.9&at=now&compare=now").status,
            200);
  EXPECT_EQ(Call("GET", lookup, "/v1/sources/r/lookup?name=db.corp.example").status, 200);
  EXPECT_EQ(Call("GET", lookup, "/v1/sources/k/lookup?dst=not-an-address").status, 400);
  const std::string history = "/v1/sources/{name}/history";
  EXPECT_EQ(Call("GET", history, "/v1/sources/k/history?dst=10.40.3.0/24&table=main").status, 200);
  EXPECT_EQ(Call("GET", history, "/v1/sources/k/history").status, 400);
  const std::string at = "/v1/sources/{name}/at/{time}";
  EXPECT_EQ(Call("GET", at, "/v1/sources/k/at/now").status, 200);
  EXPECT_EQ(Call("GET", at, "/v1/sources/k/at/yesterday-ish").status, 400);
  const std::string diff = "/v1/sources/{name}/diff";
  EXPECT_EQ(Call("GET", diff, "/v1/sources/k/diff?from=" + std::to_string(first)).status, 200);
  EXPECT_EQ(Call("GET", diff, "/v1/sources/k/diff?from=latest&to=live").status, 200);
  EXPECT_EQ(Call("GET", diff, "/v1/sources/k/diff?from=1&format=text").status, 200);
  EXPECT_EQ(Call("GET", diff, "/v1/sources/k/diff?from=banana").status, 400);

  // Capture now: the operator may, a viewer may not, a body that is not JSON is refused.
  const std::string snaps = "/v1/sources/{name}/snapshots";
  EXPECT_EQ(Call("POST", snaps, "/v1/sources/k/snapshots", R"({"note":"before"})").status, 200);
  EXPECT_EQ(Call("POST", snaps, "/v1/sources/k/snapshots", "{}", {}, kViewerToken).status, 403);
  EXPECT_EQ(Call("POST", snaps, "/v1/sources/k/snapshots", "note", {{"Content-Type", "text/plain"}})
                .status,
            415);

  // Rollbacks: a dry run, the guard's refusal, a bad request, an idempotency mismatch, one
  // awaiting confirmation that is confirmed and one that is cancelled.
  const std::string rbs = "/v1/sources/{name}/rollbacks";
  const std::string to_first = std::to_string(first);
  HttpReply dry =
      Call("POST", rbs, "/v1/sources/k/rollbacks",
           R"({"to":")" + to_first + R"(","dry_run":true,"force":true,"reason":"look"})");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.Json().at("state"), "planned");
  HttpReply refused =
      Call("POST", rbs, "/v1/sources/k/rollbacks", R"({"to":")" + to_first + R"("})");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.ErrorCode(), "refused");
  EXPECT_EQ(Call("POST", rbs, "/v1/sources/k/rollbacks", R"({"to":"1","dryrun":true})").status,
            400);
  EXPECT_EQ(
      Call("POST", rbs, "/v1/sources/k/rollbacks",
           R"({"to":"1","dry_run":true,"force":true,"reason":"r"})", {{"Idempotency-Key", "oa-1"}})
          .status,
      200);
  EXPECT_EQ(
      Call("POST", rbs, "/v1/sources/k/rollbacks", R"({"to":"1"})", {{"Idempotency-Key", "oa-1"}})
          .status,
      422);
  int64_t before_more = latest;
  AddRoutes(3, 41);
  const std::string back = R"({"to":")" + std::to_string(before_more) +
                           R"(","confirm_within_s":300,"reason":"openapi"})";
  HttpReply kept = Call("POST", rbs, "/v1/sources/k/rollbacks", back);
  ASSERT_EQ(kept.status, 200) << kept.body;
  ASSERT_EQ(kept.Json().at("state"), "awaiting_confirmation") << kept.body;
  std::string kept_id(kept.Json().at("id").as_string());

  EXPECT_EQ(Call("GET", "/v1/rollbacks", "/v1/rollbacks").status, 200);
  EXPECT_EQ(Call("GET", "/v1/rollbacks/{id}", "/v1/rollbacks/" + kept_id).status, 200);
  EXPECT_EQ(Call("GET", "/v1/rollbacks/{id}", "/v1/rollbacks/4711").status, 404);
  const std::string confirm = "/v1/rollbacks/{id}/confirm";
  EXPECT_EQ(Call("POST", confirm, "/v1/rollbacks/" + kept_id + "/confirm").status, 200);
  HttpReply again = Call("POST", confirm, "/v1/rollbacks/" + kept_id + "/confirm");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.Json().at("error").at("state"), "confirmed");

  before_more = latest;
  AddRoutes(3, 42);
  HttpReply undone = Call("POST", rbs, "/v1/sources/k/rollbacks",
                          R"({"to":")" + std::to_string(before_more) +
                              R"(","confirm_within_s":300,"reason":"openapi"})");
  ASSERT_EQ(undone.status, 200) << undone.body;
  std::string undone_id(undone.Json().at("id").as_string());
  HttpReply cancelled =
      Call("POST", "/v1/rollbacks/{id}/cancel", "/v1/rollbacks/" + undone_id + "/cancel");
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.Json().at("state"), "reverted") << cancelled.body;

  // Detection policy.
  const std::string pause = "/v1/sources/{name}/pause";
  EXPECT_EQ(
      Call("POST", pause, "/v1/sources/k/pause", R"({"duration":"30m","reason":"CHG-1"})").status,
      200);
  EXPECT_EQ(Call("POST", pause, "/v1/sources/k/pause", R"({"duration":"9d"})").status, 400);
  EXPECT_EQ(Call("POST", "/v1/sources/{name}/resume", "/v1/sources/k/resume").status, 200);
  const std::string policy = "/v1/sources/{name}/policy";
  EXPECT_EQ(Call("GET", policy, "/v1/sources/k/policy").status, 200);
  EXPECT_EQ(Call("GET", policy, "/v1/sources/k/policy", "", {}, kViewerToken).status, 200);
  EXPECT_EQ(
      Call("PUT", policy, "/v1/sources/k/policy", R"({"action":"alert","settle_ms":200})").status,
      200);
  EXPECT_EQ(Call("PUT", policy, "/v1/sources/k/policy", R"({"action":"sometimes"})").status, 400);

  // Backup: one made and verified; a viewer, a relative path and an existing one refused.
  const std::string backup = "/v1/backup";
  const std::string target = R"({"path":")" + d.dir().Sub("backup") + R"("})";
  HttpReply made = Call("POST", backup, backup, target);
  EXPECT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(Call("POST", backup, backup, target).status, 409);
  EXPECT_EQ(Call("POST", backup, backup, R"({"path":"relative/dir"})").status, 400);
  EXPECT_EQ(Call("POST", backup, backup, target, {}, kViewerToken).status, 403);

  // Events, stored and followed.
  EXPECT_EQ(Call("GET", "/v1/events", "/v1/events?limit=1000").status, 200);
  EXPECT_EQ(Call("GET", "/v1/events", "/v1/events?limit=0").status, 400);
  {
    HttpStream s(d.port(), "/v1/events?follow=1&after=0", kOperatorToken);
    ASSERT_TRUE(
        s.ReadUntil([](const std::string& t) { return t.find("\nid: ") != t.npos; }, seconds(10)))
        << s.text();
    std::string head = s.text().substr(0, s.text().find("\r\n\r\n"));
    ASSERT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t ct = lower.find("content-type: ");
    ASSERT_NE(ct, std::string::npos) << head;
    json::object a;
    a["method"] = "GET";
    a["template"] = "/v1/events";
    a["status"] = 200;
    a["content_type"] = head.substr(ct + 14, head.find("\r\n", ct) - ct - 14);
    a["body"] = "";
    answers << json::serialize(a) << "\n";
  }
  answers.close();

  std::string out;
  int rc = Shell("/usr/bin/python3 " + SourceRoot() + "/tools/openapi_check.py " + SourceRoot() +
                     "/docs/openapi.yaml " + d.dir().Sub("answers.jsonl") + " " + SourceRoot() +
                     "/snapshotd/api 2>&1",
                 &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(" 0 problems"), std::string::npos) << out;
}

// The description is valid OpenAPI 3.1 by Redocly's rules. npm fetches the pinned CLI once (it
// is cached under ~/.npm); without npx, or without the registry, the test says so and skips.
TEST(E2eOpenApiLint, TheDescriptionLints) {
  if (Shell("command -v npx >/dev/null 2>&1") != 0) GTEST_SKIP() << "npx is not installed";
  std::string out;
  int rc = Shell("cd " + SourceRoot() +
                     " && timeout 240 npx -y @redocly/cli@2.77.0 lint --format stylish "
                     "docs/openapi.yaml 2>&1",
                 &out);
  if (rc != 0 &&
      (out.find("ENOTFOUND") != std::string::npos || out.find("EAI_AGAIN") != std::string::npos ||
       out.find("ECONNREFUSED") != std::string::npos ||
       out.find("ETIMEDOUT") != std::string::npos)) {
    GTEST_SKIP() << "the npm registry cannot be reached: " << out.substr(0, 300);
  }
  EXPECT_EQ(rc, 0) << out;
}

}  // namespace
}  // namespace netsnap::e2e
