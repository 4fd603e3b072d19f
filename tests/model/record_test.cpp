#include <gtest/gtest.h>

#include <waitscope/model/record.hpp>
#include <waitscope/model/snapshot_io.hpp>

using namespace waitscope::model;

namespace {

Record sample() {
    RecordBuilder b;
    b.beginObject(Key::None);
    b.addString(Key::id, "epitem:0x10");
    b.addUInt(Key::tfd, 5);
    b.addInt(internKey("neg"), -3);
    b.addFloat(internKey("ms"), 1.5);
    b.addString(Key::addr, "0x10");
    b.addString(Key::comm, "0x10x"); // not canonical hex: a plain string
    b.beginObject(Key::rb);
    b.addNull(Key::parent);
    b.addString(Key::left, "epitem:0x20");
    b.end();
    b.beginArray(Key::ready);
    b.addString(Key::None, "epitem:0x30");
    b.addString(Key::None, "epitem:0x40");
    b.end();
    b.beginArray(internKey("empty"));
    b.end();
    b.addBool(Key::on_ready, true);
    b.end();
    return b.finish();
}

} // namespace

TEST(Record, TypedAccess) {
    Record r = sample();
    EXPECT_EQ(r[Key::id].type(), ValueType::Ref);
    EXPECT_EQ(toString(r[Key::id].ref()), "epitem:0x10");
    EXPECT_EQ(r[Key::tfd].asU64(), 5u);
    EXPECT_EQ(r.root().member("neg").asInt(), -3);
    EXPECT_EQ(r.root().member("ms").asDouble(), 1.5);
    EXPECT_EQ(r[Key::addr].type(), ValueType::Hex);
    EXPECT_EQ(r[Key::addr].text(), "0x10");
    EXPECT_EQ(r[Key::comm].str(), "0x10x");
    EXPECT_TRUE(r[Key::rb][Key::parent].isNull());
    EXPECT_EQ(r[Key::rb][Key::left].ref().kaddr, 0x20u);
    EXPECT_FALSE(r[Key::rb][Key::right].exists());
    EXPECT_EQ(r[Key::ready].size(), 2u);
    ASSERT_EQ(r[Key::ready].refs().size(), 2u);
    EXPECT_EQ(r[Key::ready].refs()[1].kaddr, 0x40u);
    EXPECT_EQ(r.root().member("empty").size(), 0u);
    EXPECT_TRUE(r[Key::on_ready].asBool());
    // Members after containers are found (spans are right).
    EXPECT_EQ(r.root().size(), 10u);
    EXPECT_FALSE(r[Key::pid].exists());
    EXPECT_EQ(r[Key::pid].asInt().value_or(-1), -1);
}

TEST(Record, CopyRebuildsSubtrees) {
    Record r = sample();
    RecordBuilder b;
    b.beginObject(Key::None);
    b.addCopy(Key::rb, r[Key::rb]);
    b.addCopy(Key::ready, r[Key::ready]);
    b.addCopy(Key::comm, r[Key::comm]);
    b.end();
    Record c = b.finish();
    EXPECT_TRUE(c[Key::rb].sameValue(r[Key::rb]));
    EXPECT_TRUE(c[Key::ready].sameValue(r[Key::ready]));
    EXPECT_TRUE(c[Key::comm].sameValue(r[Key::comm]));
    EXPECT_FALSE(c[Key::ready].sameValue(r[Key::rb]));
    EXPECT_EQ(
        toJsonText(c.root()),
        R"({"rb":{"parent":null,"left":"epitem:0x20"},"ready":["epitem:0x30","epitem:0x40"],"comm":"0x10x"})");
}

TEST(Record, SameContentAndHash) {
    Record a = sample(), b = sample();
    EXPECT_TRUE(a.sameContent(b));
    EXPECT_EQ(a.contentHash(), b.contentHash());
    RecordBuilder rb;
    rb.beginObject(Key::None);
    rb.addUInt(Key::tfd, 6);
    rb.end();
    EXPECT_FALSE(a.sameContent(rb.finish()));
}

TEST(Record, KeysAreInternedOnce) {
    EXPECT_EQ(internKey("private"), Key::private_);
    EXPECT_EQ(keyName(Key::private_), "private");
    EXPECT_EQ(internKey("ready"), Key::ready);
    Key k = internKey("some_new_member");
    EXPECT_GE(static_cast<std::uint32_t>(k), DynamicKeyBase);
    EXPECT_EQ(internKey("some_new_member"), k);
    EXPECT_EQ(keyName(k), "some_new_member");
}
