#include <gtest/gtest.h>

#include <atomic>

#include <waitscope/model/snapshot_io.hpp>

#include "doc_builder.hpp"

using namespace waitscope::model;
using namespace waitscope::model::test;

namespace {

json smallDoc() {
    json ep = obj("eventpoll", 0xffff888004a2c300);
    ep["owners"] = json::array({{{"pid", 83}, {"fd", 5}}});
    ep["ready"] = json::array({idOf("epitem", 0xffff888004a1b0c0)});
    ep["ovflist"] = json::array();
    ep["wq"] = json::array({idOf("wait_entry", 0xffffc90000abfd40)});
    ep["poll_wait"] = json::array();
    json epi = obj("epitem", 0xffff888004a1b0c0);
    epi["ep"] = ep["id"];
    epi["tfd"] = 4;
    epi["events"] = 2147483673u;
    epi["data"] = 18446744073709551615ull; // u64 max survives
    epi["file"] = idOf("file", 0xffff888004a39700);
    epi["color"] = "black";
    epi["rb"] = {{"parent", nullptr}, {"left", nullptr}, {"right", nullptr}, {"index", 0}};
    json we = obj("wait_entry", 0xffffc90000abfd40);
    we["func"] = "ep_autoremove_wake_function";
    we["flags"] = 1;
    we["owner"] = nullptr;
    we["future_member"] = {{"nested", {1.25, -7, "x\"y\\z\n"}}};
    json d = doc({ep, epi, we, obj("brand_new_type", 0x1234)});
    d["capture"]["pause_ms"] = 31.2;
    d["capture"]["walk_ms"] = 2.0;
    d["warnings"] = json::array({{{"id", nullptr}, {"message", "cap reached"}}});
    return d;
}

} // namespace

TEST(SnapshotIo, LoadsObjectsAndMeta) {
    auto s = load(smallDoc());
    EXPECT_EQ(s->size(), 4u);
    EXPECT_EQ(s->kernelRelease(), "test");
    EXPECT_EQ(s->captureSource(), "vmcore");
    const Object* epi = s->find({Kind::Epitem, 0xffff888004a1b0c0});
    ASSERT_NE(epi, nullptr);
    EXPECT_EQ((*epi)[Key::data].asU64(), 18446744073709551615ull);
    EXPECT_EQ((*epi)[Key::events].asU64(), 2147483673u);
    EXPECT_EQ(s->objectsOf(Kind::Epitem).size(), 1u);
    EXPECT_EQ(s->objectsOf(Kind::Task).size(), 0u);
    ASSERT_EQ(s->warnings().size(), 1u);
    EXPECT_EQ(s->warnings()[0].message, "cap reached");
    EXPECT_EQ(s->version().major, 1);
}

TEST(SnapshotIo, JsonRoundTripIsExact) {
    json original = smallDoc();
    auto s = load(original);
    std::string out = toJson(*s);
    EXPECT_EQ(json::parse(out), original);
    // Writing what we read gives the same bytes again.
    auto s2 = loadSnapshot(out);
    ASSERT_TRUE(s2);
    EXPECT_EQ(toJson(*s2.value()), out);
}

TEST(SnapshotIo, CborIsTheSameDocument) {
    json original = smallDoc();
    auto s = load(original);
    std::string cbor = toCbor(*s);
    ASSERT_GE(cbor.size(), 3u);
    EXPECT_EQ(detectFormat(cbor), Format::Cbor);
    // nlohmann reads our CBOR (after the self-describe tag) as the same document.
    EXPECT_EQ(json::from_cbor(cbor.substr(3)), original);
    auto back = loadSnapshot(cbor);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(toJson(*back.value()), toJson(*s));
    // CBOR written by nlohmann (no tag) is read too.
    auto plain = json::to_cbor(original);
    auto fromPlain = loadSnapshot(std::string(plain.begin(), plain.end()));
    ASSERT_TRUE(fromPlain) << fromPlain.error().message;
    EXPECT_EQ(toJson(*fromPlain.value()), toJson(*s));
}

TEST(SnapshotIo, RejectsNewerSchemaWithAClearMessage) {
    auto r = loadSnapshot(doc({}, "waitscope.snapshot/2").dump());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::NewerSchema);
    EXPECT_NE(r.error().message.find("waitscope.snapshot/2"), std::string::npos);
    EXPECT_NE(r.error().message.find("newer waitscope"), std::string::npos);
    EXPECT_NE(r.error().message.find("waitscope.snapshot/1"), std::string::npos);
}

TEST(SnapshotIo, NewerSchemaWinsOverStructureErrors) {
    json d = doc({}, "waitscope.snapshot/3");
    d["objects"] = json::array({{{"no_id", 1}}});
    auto r = loadSnapshot(d.dump());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::NewerSchema);
}

TEST(SnapshotIo, Migrate) {
    std::shared_ptr<const Record> meta = std::make_shared<Record>();
    std::vector<ObjectPtr> objects;
    auto cur = migrate({1, 0}, meta, objects);
    ASSERT_TRUE(cur);
    EXPECT_EQ(cur.value().major, 1);
    // Minors are additive and keep their number.
    auto minor = migrate({1, 4}, meta, objects);
    ASSERT_TRUE(minor);
    EXPECT_EQ(minor.value().minor, 4);
    auto newer = migrate({2, 0}, meta, objects);
    ASSERT_FALSE(newer);
    EXPECT_EQ(newer.error().kind, ErrorKind::NewerSchema);
    auto older = migrate({0, 9}, meta, objects);
    ASSERT_FALSE(older);
    EXPECT_EQ(older.error().kind, ErrorKind::UnsupportedSchema);
    EXPECT_NE(older.error().message.find("older"), std::string::npos);
}

TEST(SnapshotIo, SchemaStrings) {
    EXPECT_EQ(parseSchemaString("waitscope.snapshot/1")->major, 1);
    EXPECT_EQ(parseSchemaString("waitscope.snapshot/1.2")->minor, 2);
    EXPECT_FALSE(parseSchemaString("waitscope.snapshot/"));
    EXPECT_FALSE(parseSchemaString("waitscope.snapshot/1x"));
    EXPECT_FALSE(parseSchemaString("waitscope.session/1"));
    auto r = loadSnapshot(doc({}, "waitscope.trace/1").dump());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::UnsupportedSchema);
    EXPECT_TRUE(loadSnapshot(doc({}, "waitscope.snapshot/1.7").dump()));
}

TEST(SnapshotIo, RejectsWhatIsNotASnapshot) {
    EXPECT_EQ(loadSnapshot("").error().kind, ErrorKind::Syntax);
    EXPECT_EQ(loadSnapshot("{\"objects\": [").error().kind, ErrorKind::Syntax);
    EXPECT_EQ(loadSnapshot("[1,2]").error().kind, ErrorKind::NotASnapshot);
    EXPECT_EQ(loadSnapshot("{\"objects\": []}").error().kind, ErrorKind::NotASnapshot);
}

TEST(SnapshotIo, StructureErrors) {
    auto bad = [](json o) { return loadSnapshot(doc({std::move(o)}).dump()); };
    json noId = obj("epitem", 0x10);
    noId.erase("id");
    EXPECT_EQ(bad(noId).error().kind, ErrorKind::Structure);
    json badId = obj("epitem", 0x10);
    badId["id"] = "epitem:0X10";
    EXPECT_NE(bad(badId).error().message.find("epitem:0X10"), std::string::npos);
    json wrongType = obj("epitem", 0x10);
    wrongType["type"] = "file";
    EXPECT_NE(bad(wrongType).error().message.find("has type"), std::string::npos);
    json wrongAddr = obj("epitem", 0x10);
    wrongAddr["addr"] = "0x11";
    EXPECT_NE(bad(wrongAddr).error().message.find("addr"), std::string::npos);
    json d = doc({obj("epitem", 0x10)});
    d["objects"].push_back(obj("epitem", 0x10));
    auto dup = loadSnapshot(d.dump());
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message.find("duplicate"), std::string::npos);
}

TEST(SnapshotIo, UnsortedInputIsSortedAndDuplicatesFound) {
    json d = doc({});
    d["objects"] = json::array({obj("task", 0x9), obj("epitem", 0x10), obj("task", 0x10)});
    auto s = loadSnapshot(d.dump());
    ASSERT_TRUE(s);
    EXPECT_EQ(toString(s.value()->objects()[0]->id()), "epitem:0x10");
    EXPECT_EQ(toString(s.value()->objects()[1]->id()), "task:0x10");
    EXPECT_EQ(toString(s.value()->objects()[2]->id()), "task:0x9");
    d["objects"].push_back(obj("epitem", 0x10));
    EXPECT_FALSE(loadSnapshot(d.dump()));
}

TEST(SnapshotIo, SharesUnchangedObjectsWithThePreviousSnapshot) {
    json d = smallDoc();
    auto a = load(d);
    for (auto& o : d["objects"])
        if (o["type"] == "epitem")
            o["tfd"] = 9;
    LoadOptions opt;
    opt.shareWith = a.get();
    auto b = loadSnapshot(d.dump(), opt);
    ASSERT_TRUE(b);
    EXPECT_EQ(b.value()->sharedWith(*a), 3u);
    EXPECT_EQ(b.value()->findShared({Kind::Eventpoll, 0xffff888004a2c300}),
              a->findShared({Kind::Eventpoll, 0xffff888004a2c300}));
    EXPECT_NE(b.value()->findShared({Kind::Epitem, 0xffff888004a1b0c0}),
              a->findShared({Kind::Epitem, 0xffff888004a1b0c0}));
    EXPECT_LT(b.value()->heapBytes(a.get()), a->heapBytes());
}

TEST(SnapshotIo, CancelAndProgress) {
    std::vector<json> many;
    for (int i = 0; i < 20000; ++i) {
        json o = obj("epitem", 0x1000 + 64 * static_cast<std::uint64_t>(i));
        o["label"] = std::string(60, 'x');
        many.push_back(o);
    }
    std::string text = doc(many).dump();
    ASSERT_GT(text.size(), 2u << 20);
    std::vector<double> seen;
    LoadOptions opt;
    opt.progress = [&](double f) { seen.push_back(f); };
    ASSERT_TRUE(loadSnapshot(text, opt));
    ASSERT_GE(seen.size(), 2u);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);

    std::atomic<bool> cancel{true};
    LoadOptions stop;
    stop.cancel = &cancel;
    auto r = loadSnapshot(text, stop);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Cancelled);
}

TEST(SnapshotIo, RepeatedMemberNamesLastOneWins) {
    // JSON leaves duplicate names undefined; we read them like Python's json does.
    std::string text = R"({"schema": "waitscope.snapshot/1", "kernel": {"release": "t"},
        "capture": {"source": "lab"}, "objects": [
        {"addr": "0x10", "id": 0, "id": "worker:0x10", "type": "worker", "flags": 1}]})";
    auto r = loadSnapshot(text);
    ASSERT_TRUE(r) << r.error().message;
    const Object* w = r.value()->find({Kind::Worker, 0x10});
    ASSERT_NE(w, nullptr);
    EXPECT_EQ((*w)[Key::flags].asU64(), 1u);
    EXPECT_EQ(w->fields().root().size(), 4u);
    ASSERT_EQ(r.value()->loadNotes().size(), 1u);
    EXPECT_EQ(json::parse(toJson(*r.value()))["objects"][0]["id"], "worker:0x10");
}
