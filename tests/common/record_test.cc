#include "netsnap/record.h"

#include <gtest/gtest.h>

#include "common/coding.h"

#include <algorithm>
#include <random>

namespace netsnap {
namespace {

Record R(std::string k, std::string v) { return {"\x01" + k, std::move(v)}; }

Snapshot Make(std::vector<Record> recs) {
  Snapshot s;
  EXPECT_TRUE(Snapshot::FromRecords(std::move(recs), &s).ok());
  return s;
}

TEST(Snapshot, EncodingIsDeterministicWhateverTheInputOrder) {
  std::vector<Record> recs;
  for (int i = 0; i < 500; ++i)
    recs.push_back(R("k" + std::to_string(i), "v" + std::to_string(i * 7)));
  Snapshot a = Make(recs);
  std::shuffle(recs.begin(), recs.end(), std::mt19937(42));
  Snapshot b = Make(recs);
  EXPECT_EQ(a.Encode(), b.Encode());
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.size(), 500u);
}

TEST(Snapshot, DecodeRoundTripsAndRejectsDamage) {
  Snapshot a = Make({R("a", "1"), R("b", ""), R("c", std::string(300, 'x'))});
  Snapshot b;
  ASSERT_TRUE(Snapshot::Decode(a.Encode(), &b).ok());
  EXPECT_EQ(a.hash(), b.hash());
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.at(2).value, std::string(300, 'x'));

  std::string enc = a.Encode();
  EXPECT_FALSE(Snapshot::Decode(enc.substr(0, enc.size() - 1), &b).ok());
  EXPECT_FALSE(Snapshot::Decode("XXXX" + enc.substr(4), &b).ok());
  EXPECT_FALSE(Snapshot::Decode(enc + "z", &b).ok());
}

TEST(Snapshot, RejectsDuplicateAndEmptyKeys) {
  Snapshot s;
  EXPECT_FALSE(Snapshot::FromRecords({R("a", "1"), R("a", "2")}, &s).ok());
  EXPECT_FALSE(Snapshot::FromRecords({{"", "1"}}, &s).ok());
}

TEST(Snapshot, DifferentContentHasDifferentHash) {
  EXPECT_FALSE(Make({R("a", "1")}).hash() == Make({R("a", "2")}).hash());
  EXPECT_FALSE(Make({R("a", "1")}).hash() == Make({R("b", "1")}).hash());
  EXPECT_FALSE(Make({R("a", "1")}).hash() == Make({}).hash());
  // Moving bytes between key and value changes the hash.
  EXPECT_FALSE(Make({{"\x01"
                      "ab",
                      "c"}})
                   .hash() == Make({{"\x01"
                                     "a",
                                     "bc"}})
                                  .hash());
}

TEST(Snapshot, FindAndLowerBound) {
  Snapshot s = Make({R("b", "2"), R("d", "4")});
  EXPECT_EQ(s.Find("\x01"
                   "b")
                ->value,
            "2");
  EXPECT_FALSE(
      s.Find("\x01"
             "c"));
  EXPECT_EQ(s.LowerBound("\x01"
                         "c"),
            1u);
  EXPECT_EQ(s.LowerBound("\x01"
                         "z"),
            2u);
}

// Four digits, zero-padded, so that keys sort as their numbers do.
std::string Digits4(int i) {
  std::string s = std::to_string(i);
  return std::string(4 - s.size(), '0') + s;
}

TEST(Snapshot, LowerBoundFromAgreesWithBinarySearch) {
  std::vector<Record> recs;
  for (int i = 0; i < 300; i += 3) recs.push_back(R(Digits4(i), "v"));
  Snapshot s = Make(recs);
  for (int key = 0; key < 305; ++key) {
    const std::string full = "\x01" + Digits4(key);
    const size_t want = s.LowerBound(full);
    // Any start at or before the answer finds it, whatever the distance to walk.
    for (size_t from : {size_t{0}, want / 2, want > 0 ? want - 1 : 0, want}) {
      EXPECT_EQ(s.LowerBound(full, from), want) << key << " from " << from;
    }
  }
  EXPECT_EQ(s.LowerBound("\x01zzzz", 0), s.size());
  EXPECT_EQ(s.LowerBound("\x01"
                         "0000",
                         1000),
            s.size());
}

TEST(Coding, HexRoundTripAndBadInput) {
  std::string bytes("\x00\x01\xab\xff", 4), back;
  EXPECT_EQ(HexEncode(bytes), "0001abff");
  ASSERT_TRUE(HexDecode("0001ABff", &back));
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(HexDecode("abc", &back));
  EXPECT_FALSE(HexDecode("zz", &back));
  EXPECT_TRUE(HexDecode("", &back));
  EXPECT_TRUE(back.empty());
}

TEST(ContentHash, HexRoundTrip) {
  ContentHash h = ContentHash::Of("k", "v");
  EXPECT_EQ(ContentHash::FromHex(h.Hex()), h);
  EXPECT_FALSE(ContentHash::FromHex("zz"));
  ContentHash k{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(k.Hex(), "0123456789abcdeffedcba9876543210");
  EXPECT_EQ(ContentHash{}.Hex(), std::string(32, '0'));
}

TEST(Delta, ComputeThenApplyGivesTheTarget) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<Record> a, b;
    for (int i = 0; i < 200; ++i) {
      std::string k = "k" + std::to_string(i);
      if (rng() % 3) a.push_back(R(k, std::to_string(rng() % 4)));
      if (rng() % 3) b.push_back(R(k, std::to_string(rng() % 4)));
    }
    Snapshot sa = Make(a), sb = Make(b), out;
    Delta d = ComputeDelta(sa, sb);
    ASSERT_TRUE(ApplyDelta(sa, d, &out).ok());
    EXPECT_EQ(out.Encode(), sb.Encode());
    EXPECT_EQ(out.hash(), sb.hash()) << "the incrementally kept hash matches a full rehash";
    DiffCounts c = CountDelta(sa, d);
    Diff diff = ComputeDiff(sa, sb);
    EXPECT_EQ(c.added, diff.added.size());
    EXPECT_EQ(c.removed, diff.removed.size());
    EXPECT_EQ(c.changed, diff.changed.size());
    DiffCounts walked = CountDiff(sa, sb);
    EXPECT_EQ(walked.added, diff.added.size());
    EXPECT_EQ(walked.removed, diff.removed.size());
    EXPECT_EQ(walked.changed, diff.changed.size());
  }
}

TEST(Delta, ApplyRejectsUnsortedDeltas) {
  Snapshot base = Make({R("a", "1")}), out;
  Delta d = {{"\x01"
              "b",
              "1"},
             {"\x01"
              "a",
              std::nullopt}};
  EXPECT_EQ(ApplyDelta(base, d, &out).code(), Status::Code::kInvalidArgument);
  d = {{"\x01"
        "b",
        "1"},
       {"\x01"
        "b",
        "2"}};
  EXPECT_EQ(ApplyDelta(base, d, &out).code(), Status::Code::kInvalidArgument);
}

TEST(Delta, NormalizeKeepsTheLastChangePerKey) {
  Delta d = {{"\x01"
              "b",
              "1"},
             {"\x01"
              "a",
              std::nullopt},
             {"\x01"
              "b",
              std::nullopt},
             {"\x01"
              "a",
              "2"}};
  NormalizeDelta(&d);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].value, std::optional<std::string>("2"));
  EXPECT_EQ(d[1].value, std::nullopt);
}

TEST(Diff, ListsAddedRemovedAndChangedWithOldAndNew) {
  Diff d = ComputeDiff(Make({R("a", "1"), R("b", "1")}), Make({R("b", "2"), R("c", "3")}));
  ASSERT_EQ(d.added.size(), 1u);
  ASSERT_EQ(d.removed.size(), 1u);
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].old_value, "1");
  EXPECT_EQ(d.changed[0].new_value, "2");
}

}  // namespace
}  // namespace netsnap
