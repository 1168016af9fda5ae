// The rollback journal's encoding: a round trip keeps the request, scope and outcome; record
// keys of a restore's scope are packed; entries written before that still decode.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "restore/rollback.h"

namespace netsnap {
namespace {

Rollback Sample() {
  Rollback rb;
  rb.id = "7";
  rb.source = "k";
  rb.state = RollbackState::kApplied;
  rb.request.source = "k";
  rb.request.to = "v3";
  rb.request.cause = Cause::kRestore;
  rb.request.reason = "automated restore";
  rb.request.scope.tables = {100};
  // Sorted keys sharing prefixes of every length, bytes of every value, one key a prefix of
  // the next.
  rb.request.scope.keys = {std::string("\x01\x00", 2),
                           std::string("\x01\x00\x00", 3),
                           std::string("\x01\x00\xff", 3),
                           "\x01"
                           "abc",
                           "\x01"
                           "abd",
                           "\x01"
                           "abdzz",
                           "\x02"};
  rb.target_version = 3;
  rb.pre_version = 4;
  rb.post_version = 5;
  rb.adds = 2;
  rb.failures = {{std::string("\x01\x00", 2), "refused", std::string("\x00v", 2)},
                 {"k2", "gone", std::nullopt}};
  rb.plan_ms = 1.5;
  rb.total_ms = 9.25;
  return rb;
}

TEST(Journal, RoundTripKeepsScopeKeysAndOutcome) {
  Rollback rb = Sample(), back;
  std::string text = EncodeRollback(rb);
  EXPECT_NE(text.find("record_keys_packed"), std::string::npos);
  ASSERT_TRUE(DecodeRollback(text, &back).ok());
  EXPECT_EQ(back.request.scope.keys, rb.request.scope.keys);
  EXPECT_EQ(back.request.scope.tables, rb.request.scope.tables);
  EXPECT_EQ(back.request.cause, Cause::kRestore);
  EXPECT_EQ(back.post_version, 5u);
  EXPECT_EQ(back.adds, 2u);
  ASSERT_EQ(back.failures.size(), 2u);
  EXPECT_EQ(back.failures[0].key, rb.failures[0].key);
  EXPECT_EQ(back.failures[0].value, rb.failures[0].value) << "the failed record, journalled";
  EXPECT_EQ(back.failures[1].value, std::nullopt) << "a journal entry without one";
  EXPECT_EQ(back.total_ms, 9.25);
}

TEST(Journal, PackedKeysAreSmallerThanAHexList) {
  Rollback rb = Sample();
  rb.request.scope.keys.clear();
  for (int i = 0; i < 30000; ++i) {
    rb.request.scope.keys.push_back("\x01route/table 254/10." + std::to_string(100000 + i));
  }
  size_t packed = EncodeRollback(rb).size();
  size_t hex_list = 0;
  for (const std::string& k : rb.request.scope.keys) hex_list += 2 * k.size() + 3;
  EXPECT_LT(packed * 2, hex_list);
  Rollback back;
  ASSERT_TRUE(DecodeRollback(EncodeRollback(rb), &back).ok());
  EXPECT_EQ(back.request.scope.keys, rb.request.scope.keys);
}

TEST(Journal, EntriesWithAHexKeyListStillDecode) {
  Rollback rb = Sample(), back;
  boost::json::object o = boost::json::parse(EncodeRollback(rb)).as_object();
  boost::json::object& scope = o["scope"].as_object();
  scope.erase("record_keys_packed");
  scope["record_keys"] = {"0100", "01616263"};
  ASSERT_TRUE(DecodeRollback(boost::json::serialize(o), &back).ok());
  EXPECT_EQ(back.request.scope.keys, (std::vector<std::string>{std::string("\x01\x00", 2),
                                                               "\x01"
                                                               "abc"}));
}

TEST(Journal, DamagedPackedKeysAreCorruption) {
  Rollback rb = Sample(), back;
  boost::json::object o = boost::json::parse(EncodeRollback(rb)).as_object();
  o["scope"].as_object()["record_keys_packed"] = "05";  // shares 5 bytes with no key before it
  Status s = DecodeRollback(boost::json::serialize(o), &back);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  o["scope"].as_object()["record_keys_packed"] = "0x";
  EXPECT_FALSE(DecodeRollback(boost::json::serialize(o), &back).ok());
}

TEST(Journal, TheApiShowsScopeKeysAsAHexList) {
  boost::json::object o = RollbackToJson(Sample());
  const boost::json::array& keys = o["scope"].as_object()["record_keys"].as_array();
  ASSERT_EQ(keys.size(), 7u);
  EXPECT_EQ(keys[3].as_string(), "01616263");
}

}  // namespace
}  // namespace netsnap
