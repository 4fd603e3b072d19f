#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_set>

#include <waitscope/model/ids.hpp>

using namespace waitscope::model;

TEST(Ids, ParseAndFormatRoundTrip) {
    auto id = parseObjectId("epitem:0xffff888004a1b0c0");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->kind, Kind::Epitem);
    EXPECT_EQ(id->kaddr, 0xffff888004a1b0c0ull);
    EXPECT_EQ(toString(*id), "epitem:0xffff888004a1b0c0");
    EXPECT_EQ(toString({Kind::WaitEntry, 0}), "wait_entry:0x0");
}

TEST(Ids, RejectsNonCanonicalForms) {
    for (const char* s : {"epitem:0xFFFF", "epitem:0x0012", "epitem:ffff", "Epitem:0x1", ":0x1",
                          "epitem:0x", "epitem:0x1g", "epitem", "epitem:0x11111111111111111"})
        EXPECT_FALSE(parseObjectId(s)) << s;
    EXPECT_TRUE(parseObjectId("epitem:0x0"));
}

TEST(Ids, UnknownTypesGetStableDynamicKinds) {
    auto a = parseObjectId("future_thing:0x10");
    auto b = parseObjectId("future_thing:0x20");
    ASSERT_TRUE(a && b);
    EXPECT_GE(static_cast<int>(a->kind), static_cast<int>(Kind::FirstDynamicKind));
    EXPECT_EQ(a->kind, b->kind);
    EXPECT_EQ(kindName(a->kind), "future_thing");
    EXPECT_EQ(toString(*a), "future_thing:0x10");
}

TEST(Ids, CompareIdTextMatchesStringOrder) {
    std::mt19937_64 rng(7);
    std::vector<std::string> types = {"file",       "files",           "epitem", "eventpoll",
                                      "wait_entry", "wait_queue_head", "task",   "work",
                                      "worker",     "worker_pool"};
    std::vector<ObjectId> ids;
    for (int i = 0; i < 2000; ++i) {
        std::uint64_t addr = rng() >> (rng() % 60);
        ids.push_back({kindFromName(types[rng() % types.size()]), addr});
    }
    for (int i = 0; i + 1 < 2000; ++i) {
        std::string a = toString(ids[i]), b = toString(ids[i + 1]);
        int expect = a < b ? -1 : a > b ? 1 : 0;
        int got = compareIdText(ids[i], ids[i + 1]);
        EXPECT_EQ((got > 0) - (got < 0), expect) << a << " vs " << b;
    }
}

TEST(Ids, HashSpreadsAndDistinguishesKinds) {
    std::unordered_set<std::uint64_t> hashes;
    for (std::uint64_t a = 0; a < 10000; ++a) {
        hashes.insert(hashId({Kind::Epitem, 0xffff888000000000ull + a * 64}));
        hashes.insert(hashId({Kind::File, 0xffff888000000000ull + a * 64}));
    }
    EXPECT_EQ(hashes.size(), 20000u);
    EXPECT_NE(std::hash<ObjectId>{}({Kind::Epitem, 1}), std::hash<ObjectId>{}({Kind::File, 1}));
}

TEST(Ids, ParseAddressIsLenient) {
    EXPECT_EQ(parseAddress("0xFFFF888004A1B0C0"), 0xffff888004a1b0c0ull);
    EXPECT_EQ(parseAddress("ffff888004a1b0c0"), 0xffff888004a1b0c0ull);
    EXPECT_EQ(parseAddress("0x000010"), 0x10u);
    EXPECT_FALSE(parseAddress("xyz"));
    EXPECT_FALSE(parseAddress("0x1ffff888004a1b0c0"));
}
