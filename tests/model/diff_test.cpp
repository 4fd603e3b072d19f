#include <gtest/gtest.h>

#include <waitscope/model/diff.hpp>

#include "topology.hpp"

using namespace waitscope::model;
using namespace waitscope::model::test;

TEST(Diff, AddedRemovedChangedFields) {
    json before = topology();
    json after = before;
    auto& objs = after["objects"];
    for (auto it = objs.begin(); it != objs.end();) {
        auto& o = *it;
        if (o["id"] == idOf("eventpoll", Ep)) {
            o["ready"] = json::array({idOf("epitem", ItemA)});
            o["gen"] = 4; // a field that appears
        } else if (o["id"] == idOf("epitem", ItemC)) {
            o["on_ready"] = false;
            o.erase("on_ovflist"); // a field that disappears
        } else if (o["id"] == idOf("kfifo", 0xffffffffc0002000)) {
            it = objs.erase(it);
            continue;
        }
        ++it;
    }
    objs.push_back(obj("work", 0xffffffffc0003000));
    auto a = load(before), b = load(after);
    SnapshotDiff d = diffSnapshots(*a, *b);
    EXPECT_EQ(diffToJson(d),
              "{\"added\": [\"work:0xffffffffc0003000\"], \"removed\": "
              "[\"kfifo:0xffffffffc0002000\"], \"changed\": [{\"id\": "
              "\"epitem:0xffff888004a1b200\", \"fields\": [\"on_ovflist\", \"on_ready\"]}, "
              "{\"id\": \"eventpoll:0xffff888004a2c300\", \"fields\": [\"gen\", \"ready\"]}]}\n");
    std::string text = diffToText(d, *a, *b);
    EXPECT_NE(text.find("+ work:0xffffffffc0003000"), std::string::npos);
    EXPECT_NE(text.find("- kfifo:0xffffffffc0002000"), std::string::npos);
    EXPECT_NE(text.find("~ eventpoll:0xffff888004a2c300: gen, ready"), std::string::npos);
    EXPECT_NE(text.find("1 added, 1 removed, 2 changed"), std::string::npos);
    EXPECT_TRUE(diffSnapshots(*a, *a).empty());
    SnapshotDiff back = diffSnapshots(*b, *a);
    EXPECT_EQ(back.added, d.removed);
    EXPECT_EQ(back.removed, d.added);
}

TEST(Diff, SharedObjectsAreSkippedButEqualCopiesToo) {
    json d = topology();
    auto a = load(d);
    auto b = load(d); // not shared: equal content, different pointers
    EXPECT_TRUE(diffSnapshots(*a, *b).empty());
    LoadOptions o;
    o.shareWith = a.get();
    auto c = loadSnapshot(d.dump(), o);
    ASSERT_TRUE(c);
    EXPECT_EQ(c.value()->sharedWith(*a), a->size());
    EXPECT_TRUE(diffSnapshots(*a, *c.value()).empty());
}
