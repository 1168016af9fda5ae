// [[policy]] parsing and the JSON form.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/config.h"
#include "detect/policy.h"

namespace netsnap {
namespace {

const char* kSources = R"(
[[source]]
name = "k"
kind = "kernel"
[[source]]
name = "r"
kind = "resolver"
)";

Status Parse(const std::string& policies, PolicyMap* out) {
  DaemonConfig c;
  NETSNAP_RETURN_IF_ERROR(ParseConfig(std::string(kSources) + policies, "test.toml", &c));
  return ParsePolicies(c.document.get(), "test.toml", {"k", "r"}, out);
}

TEST(Policy, Defaults) {
  PolicyMap m;
  ASSERT_TRUE(Parse("", &m).ok());
  const DetectPolicy& p = m.at("*");
  EXPECT_EQ(p.action, DetectAction::kAlert);
  EXPECT_EQ(p.settle_ms, 300);
  EXPECT_EQ(p.max_restores_per_hour, 6);
  EXPECT_TRUE(p.protect_default_routes);
  EXPECT_DOUBLE_EQ(p.mass_share, 0.2);
  EXPECT_EQ(p.mass_min_records, 10u);
}

TEST(Policy, NamedPoliciesStartFromTheDefault) {
  PolicyMap m;
  Status s = Parse(R"(
[[policy]]
source = "k"
action = "restore"
protected_tables = ["main", 100]
protected_prefixes = ["10.0.0.0/8"]
[[policy]]
cooldown_s = 1.5
max_restores_per_hour = 2
)",
                   &m);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(m.at("k").action, DetectAction::kRestore);
  EXPECT_DOUBLE_EQ(m.at("k").cooldown_s, 1.5);  // from the default, declared after it
  EXPECT_EQ(m.at("k").max_restores_per_hour, 2);
  EXPECT_EQ(m.at("k").protected_tables, (std::vector<uint32_t>{254, 100}));
  EXPECT_EQ(m.at("*").action, DetectAction::kAlert);
  EXPECT_FALSE(m.count("r"));
}

TEST(Policy, BadValuesNameTheLine) {
  PolicyMap m;
  Status s = Parse("[[policy]]\nsource = \"k\"\naction = \"fix\"\n", &m);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("test.toml:10:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("action"), std::string::npos) << s.message();

  s = Parse("[[policy]]\nsource = \"k\"\n\nsettle_ms = -5\n", &m);
  EXPECT_NE(s.message().find("test.toml:11:"), std::string::npos) << s.message();
  s = Parse("[[policy]]\nsource = \"nope\"\n", &m);
  EXPECT_NE(s.message().find("not a configured source"), std::string::npos) << s.message();
  s = Parse("[[policy]]\nsurce = \"k\"\n", &m);
  EXPECT_NE(s.message().find("not a policy key"), std::string::npos) << s.message();
  s = Parse("[[policy]]\nwebhook_url = \"https://example.com/\"\n", &m);
  EXPECT_NE(s.message().find("http://"), std::string::npos) << s.message();
  s = Parse("[[policy]]\nprotected_prefixes = [\"10.0.0.0/33\"]\n", &m);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  s = Parse("[[policy]]\ndetectors = [\"mass_deletion\", \"vibes\"]\n", &m);
  EXPECT_NE(s.message().find("vibes"), std::string::npos) << s.message();
  s = Parse("[[policy]]\nsource = \"k\"\n[[policy]]\nsource = \"k\"\n", &m);
  EXPECT_NE(s.message().find("two [[policy]]"), std::string::npos) << s.message();
  s = Parse("[[policy]]\nsettle_ms = 500\nsettle_max_ms = 100\n", &m);
  EXPECT_NE(s.message().find("settle_max_ms"), std::string::npos) << s.message();
  // The read-only keys of the API's view are not settings in a file.
  s = Parse("[[policy]]\nsource = \"k\"\nstate = \"paused\"\n", &m);
  EXPECT_NE(s.message().find("test.toml:10:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'state' is shown by the API"), std::string::npos) << s.message();
  s = Parse("[[policy]]\nwebhook = \"configured\"\n", &m);
  EXPECT_NE(s.message().find("'webhook' is shown by the API"), std::string::npos) << s.message();
}

TEST(Policy, JsonRoundTrip) {
  DetectPolicy p;
  p.action = DetectAction::kRestore;
  p.protected_domains = {"corp.example"};
  Prefix x;
  ASSERT_TRUE(Prefix::Parse("192.0.2.0/24", &x).ok());
  p.protected_prefixes = {x};
  p.webhook_url = "http://127.0.0.1:9/hook";
  boost::json::object j = PolicyToJson(p, WebhookUrl::kShown);
  EXPECT_EQ(j.at("webhook_url"), "http://127.0.0.1:9/hook");
  EXPECT_EQ(j.at("webhook"), "configured");
  DetectPolicy q;
  ASSERT_TRUE(PolicyFromJson(j, DetectPolicy{}, &q).ok());
  EXPECT_EQ(PolicyToJson(q, WebhookUrl::kShown), j);

  std::string bad;
  boost::json::object in = {{"settle_ms", "soon"}};
  EXPECT_FALSE(PolicyFromJson(in, DetectPolicy{}, &q, &bad).ok());
  EXPECT_EQ(bad, "settle_ms");
}

TEST(Policy, TheUrlIsHiddenUnlessAskedFor) {
  DetectPolicy p;
  p.webhook_url = "http://127.0.0.1:9/hook?token=secret";
  boost::json::object j = PolicyToJson(p);
  EXPECT_FALSE(j.contains("webhook_url"));
  EXPECT_EQ(j.at("webhook"), "configured");
  EXPECT_EQ(boost::json::serialize(j).find("secret"), std::string::npos);
  EXPECT_EQ(PolicyToJson(DetectPolicy{}).at("webhook"), "none");
}

TEST(Policy, RequestsCannotSetTheWebhook) {
  DetectPolicy configured;
  configured.webhook_url = "http://127.0.0.1:9/hook";
  configured.webhook_retries = 2;
  DetectPolicy out;
  // Absent: the configured webhook stays, whatever the base says.
  ASSERT_TRUE(PolicyFromRequest({{"action", "restore"}}, DetectPolicy{}, configured, &out).ok());
  EXPECT_EQ(out.webhook_url, configured.webhook_url);
  EXPECT_EQ(out.webhook_retries, 2);
  EXPECT_EQ(out.action, DetectAction::kRestore);
  // Another URL, or another setting of the worker: 400 naming the key.
  for (const auto& [key, value] :
       {std::pair<const char*, boost::json::value>{"webhook_url", "http://192.0.2.1/x"},
        {"webhook_url", ""},
        {"webhook_retries", 9},
        {"webhook_queue", 1},
        {"webhook_timeout_ms", 5}}) {
    Status s = PolicyFromRequest({{key, value}}, DetectPolicy{}, configured, &out);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << key;
    EXPECT_NE(s.message().find(std::string("'") + key + "'"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("configuration file"), std::string::npos) << s.message();
  }
  // A policy read by an operator and put back unchanged is accepted.
  boost::json::object back = PolicyToJson(configured, WebhookUrl::kShown);
  EXPECT_TRUE(PolicyFromRequest(back, DetectPolicy{}, configured, &out).ok());
  EXPECT_EQ(out.webhook_url, configured.webhook_url);
}

}  // namespace
}  // namespace netsnap
