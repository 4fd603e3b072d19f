// Tests on the golden snapshots captured from the lab VM (tools/make-snapshot-fixtures.sh):
// round trips, the rbtrees as valid red-black trees, the object tree, the explanations of
// who sleeps where and why items are ready, sharing, and the golden diff.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include <waitscope/base/files.hpp>
#include <waitscope/model/diff.hpp>
#include <waitscope/model/query.hpp>
#include <waitscope/model/snapshot_io.hpp>

using namespace waitscope::model;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path Fixtures = WAITSCOPE_FIXTURES;

std::vector<fs::path> snapshotFixtures() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(Fixtures / "snapshots"))
        if (e.path().extension() == ".json")
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

SnapshotPtr loadFixture(const fs::path& p, const Snapshot* share = nullptr) {
    LoadOptions o;
    o.shareWith = share;
    auto r = loadSnapshotFile(p, o);
    if (!r)
        throw std::runtime_error(r.error().message);
    return r.value();
}

/// Black height of the subtree at `v`, or -1 when it breaks a red-black rule.
int blackHeight(const RbTree& t, std::uint32_t v) {
    if (v == NoIndex)
        return 1;
    for (std::uint32_t c : {t.left[v], t.right[v]})
        if (c != NoIndex && t.red[v] && t.red[c])
            return -1; // red node with a red child
    int l = blackHeight(t, t.left[v]), r = blackHeight(t, t.right[v]);
    if (l < 0 || r < 0 || l != r)
        return -1;
    return l + (t.red[v] ? 0 : 1);
}

} // namespace

TEST(GoldenSnapshots, Exist) {
    ASSERT_GE(snapshotFixtures().size(), 2u);
}

TEST(GoldenSnapshots, JsonAndCborRoundTrips) {
    for (const fs::path& p : snapshotFixtures()) {
        SCOPED_TRACE(p.filename().string());
        std::string text = waitscope::base::readFile(p);
        auto s = loadFixture(p);
        EXPECT_GT(s->size(), 100u);
        EXPECT_EQ(json::parse(toJson(*s)), json::parse(text));
        auto back = loadSnapshot(toCbor(*s));
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(toJson(*back.value()), toJson(*s));
    }
}

TEST(GoldenSnapshots, EveryRbTreeIsAValidRedBlackTree) {
    std::size_t trees = 0, items = 0;
    for (const fs::path& p : snapshotFixtures()) {
        SCOPED_TRACE(p.filename().string());
        auto s = loadFixture(p);
        for (const ObjectPtr& ep : s->objectsOf(Kind::Eventpoll)) {
            RbTree t = buildRbTree(*s, ep->id());
            SCOPED_TRACE(toString(ep->id()));
            EXPECT_TRUE(t.problems.empty()) << t.problems.front();
            EXPECT_EQ(t.count, t.size());
            if (t.size() == 0)
                continue;
            ASSERT_EQ(t.roots.size(), 1u);
            EXPECT_FALSE(t.red[t.roots[0]]) << "the root is red";
            EXPECT_GT(blackHeight(t, t.roots[0]), 0);
            // In-order positions agree with the walker's rb.index.
            for (std::uint32_t i = 0; i < t.size(); ++i)
                EXPECT_EQ((*s->find(t.items[i]))[Key::rb][Key::index].asU64(), i);
            // Ready items belong to this eventpoll and say so.
            for (std::uint32_t r : t.ready)
                EXPECT_TRUE((*s->find(t.items[r]))[Key::on_ready].asBool());
            ++trees;
            items += t.size();
        }
    }
    EXPECT_GT(trees, 2u);
    EXPECT_GT(items, 5u);
}

TEST(GoldenSnapshots, ObjectTreeListsEveryObject) {
    for (const fs::path& p : snapshotFixtures()) {
        auto s = loadFixture(p);
        ObjectTree tree = buildObjectTree(*s);
        std::unordered_set<ObjectId> seen;
        for (const auto& r : tree.rows)
            if (r.id.valid())
                seen.insert(r.id);
        for (const ObjectPtr& o : s->objects())
            EXPECT_TRUE(seen.count(o->id())) << p.filename() << " " << toString(o->id());
    }
}

TEST(GoldenSnapshots, ExplainWhoSleepsWhereAndWhyItemsAreReady) {
    // topo_basic has a thread asleep in epoll_wait and ready items (docs/lab-programs.md).
    auto s = loadFixture(Fixtures / "snapshots" / "topo_basic-setup.json");
    std::size_t blockedInEpoll = 0, readyExplained = 0;
    for (const ObjectPtr& t : s->objectsOf(Kind::Task))
        for (ObjectId w : (*t)[Key::waiting_on].refs()) {
            // Expected from the raw links: entry -> head -> container eventpoll, field wq.
            const Object* head = s->find((*s->find(w))[Key::head].ref());
            ObjectId ep = (*head)[Key::container][Key::id].ref();
            if (ep.kind != Kind::Eventpoll || (*head)[Key::container][Key::field].str() != "wq")
                continue;
            std::string want = "Blocked in epoll_wait on " + objectTitle(*s, ep);
            auto lines = explainObject(*s, t->id());
            EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                                    [&](const std::string& l) { return l.starts_with(want); }))
                << toString(t->id()) << " should say: " << want;
            ++blockedInEpoll;
        }
    for (const ObjectPtr& e : s->objectsOf(Kind::Epitem)) {
        if (!(*e)[Key::on_ready].asBool())
            continue;
        auto lines = explainObject(*s, e->id());
        bool ready = false, how = false;
        for (const std::string& l : lines) {
            ready = ready || l.starts_with("Ready: on the eventpoll's ready list");
            how = how || l.starts_with("Its ep_poll_callback entry is queued on");
        }
        EXPECT_TRUE(ready && how) << toString(e->id());
        readyExplained += ready && how;
    }
    EXPECT_GE(blockedInEpoll, 1u);
    EXPECT_GE(readyExplained, 2u);
}

TEST(GoldenSnapshots, ConsecutiveSnapshotsShareUnchangedObjects) {
    auto a = loadFixture(Fixtures / "snapshots" / "topo_basic-setup.json");
    auto b = loadFixture(Fixtures / "snapshots" / "topo_basic-consumed.json", a.get());
    SnapshotDiff d = diffSnapshots(*a, *b);
    EXPECT_EQ(b->sharedWith(*a), b->size() - d.added.size() - d.changed.size());
    EXPECT_LT(b->heapBytes(a.get()), a->heapBytes() / 4);
}

TEST(GoldenDiff, MatchesTheIndependentOracle) {
    auto a = loadFixture(Fixtures / "snapshots" / "topo_basic-setup.json");
    auto b = loadFixture(Fixtures / "snapshots" / "topo_basic-consumed.json");
    std::string golden =
        waitscope::base::readFile(Fixtures / "diffs" / "topo_basic-setup-consumed.json");
    EXPECT_EQ(diffToJson(diffSnapshots(*a, *b)), golden);
}
