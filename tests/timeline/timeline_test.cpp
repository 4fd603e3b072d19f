// Timeline host tests: the event store's lanes and ranges, the file formats
// on real captures (tests/fixtures/timeline, made by tools/make-fixtures.sh),
// and wakeup latency matching.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/timeline/frame.hpp>
#include <waitscope/timeline/io.hpp>
#include <waitscope/timeline/latency.hpp>
#include <waitscope/timeline/snapshot_ring.hpp>
#include <waitscope/timeline/store.hpp>

namespace tl = waitscope::timeline;

namespace {

const std::string Fixtures = WAITSCOPE_FIXTURES "/timeline/";

tl::Event event(uint64_t ts, uint16_t cpu, int32_t pid, tl::Kind kind, uint32_t seq) {
    tl::Event e;
    e.tsNs = ts;
    e.cpu = cpu;
    e.pid = pid;
    e.kind = kind;
    e.seq = seq;
    e.instance = seq % 7;
    e.events = seq * 3;
    e.arg = seq ^ 0x55;
    return e;
}

/// Random events on 4 CPUs and 9 tasks, mostly in time order per CPU.
std::vector<tl::Event> randomEvents(size_t n, unsigned seed, bool shuffled) {
    std::mt19937_64 rng(seed);
    std::vector<tl::Event> out;
    uint64_t t = 1000;
    for (size_t i = 0; i < n; ++i) {
        t += rng() % 50;
        // Mostly ADDs, now and then something else (what folds must not hide).
        tl::Kind kind = rng() % 97 == 0 ? tl::Kind::VpollWake : tl::Kind::VpollAdd;
        out.push_back(event(t, static_cast<uint16_t>(rng() % 4), static_cast<int32_t>(rng() % 9),
                            kind, static_cast<uint32_t>(i)));
    }
    if (shuffled)
        std::shuffle(out.begin(), out.end(), rng);
    return out;
}

bool sameEvent(const tl::Event& a, const tl::Event& b) {
    return a.tsNs == b.tsNs && a.cpu == b.cpu && a.pid == b.pid && a.kind == b.kind &&
           a.seq == b.seq && a.instance == b.instance && a.events == b.events && a.arg == b.arg &&
           a.flags == b.flags;
}

} // namespace

TEST(EventStore, PacksEveryFieldIn27Bytes) {
    tl::Event e = event(0xabcd'1234'5678, 3, -7, tl::Kind::VpollWake, 0xfffffff0);
    e.flags = tl::FlagPollTable;
    EXPECT_TRUE(sameEvent(tl::PackedEvent::pack(e).unpack(e.cpu), e));
}

TEST(EventStore, LanesAreSortedAndRangesMatchAScan) {
    // In time order; shuffled; in time order per CPU but one CPU after the other (what
    // replaying per-CPU buffers gives: task lanes must still come out sorted).
    for (int order : {0, 1, 2}) {
        SCOPED_TRACE(order);
        auto events = randomEvents(20000, 7, order == 1);
        if (order == 2)
            std::stable_sort(events.begin(), events.end(),
                             [](const auto& a, const auto& b) { return a.cpu < b.cpu; });
        tl::EventStore store;
        for (const auto& e : events)
            store.append(e);
        ASSERT_EQ(store.size(), events.size());
        std::vector<tl::Event> sorted = events;
        std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
            return a.tsNs < b.tsNs || (a.tsNs == b.tsNs && a.seq < b.seq);
        });
        auto all = store.all();
        ASSERT_EQ(all.size(), sorted.size());
        for (size_t i = 1; i < all.size(); ++i)
            ASSERT_LE(all[i - 1].tsNs, all[i].tsNs);
        uint64_t t0 = sorted[sorted.size() / 3].tsNs, t1 = sorted[sorted.size() / 2].tsNs;
        for (uint16_t cpu : store.cpus()) {
            auto lane = store.cpuLane(cpu);
            for (size_t i = 1; i < lane.size(); ++i)
                ASSERT_LE(lane[i - 1].tsNs(), lane[i].tsNs());
            auto [lo, hi] = store.cpuRange(cpu, t0, t1);
            size_t want = std::count_if(events.begin(), events.end(), [&](const auto& e) {
                return e.cpu == cpu && e.tsNs >= t0 && e.tsNs < t1;
            });
            EXPECT_EQ(hi - lo, want);
        }
        for (int32_t tid : store.tids()) {
            const auto& lane = store.taskLane(tid);
            for (size_t i = 0; i < lane.size(); ++i) {
                tl::Event e = store.at(lane[i]);
                ASSERT_EQ(e.pid, tid);
                if (i) {
                    ASSERT_LE(store.at(lane[i - 1]).tsNs, e.tsNs);
                }
            }
            auto [lo, hi] = store.taskRange(tid, t0, t1);
            size_t want = std::count_if(events.begin(), events.end(), [&](const auto& e) {
                return e.pid == tid && e.tsNs >= t0 && e.tsNs < t1;
            });
            EXPECT_EQ(hi - lo, want);
        }
    }
}

static void checkFolds(const tl::EventStore& store) {
    std::vector<tl::LaneId> lanes;
    for (uint16_t cpu : store.cpus())
        lanes.push_back({tl::LaneId::Type::Cpu, cpu});
    for (int32_t tid : store.tids())
        lanes.push_back({tl::LaneId::Type::Task, tid});
    uint64_t span = store.lastNs() - store.firstNs();
    for (uint64_t width : {span + 1, span / 50, uint64_t{500}}) {
        tl::Viewport view{store.firstNs() + span / 3, store.firstNs() + span / 3 + width, 1200, 3};
        auto frame = tl::buildFrame(store, lanes, view);
        auto flat = tl::buildFrameUnfolded(store, lanes, view);
        ASSERT_EQ(frame.size(), lanes.size());
        for (size_t l = 0; l < frame.size(); ++l) {
            const auto& f = frame[l];
            const auto& u = flat[l];
            ASSERT_EQ(u.glyphs.size(), u.events);
            EXPECT_LE(f.glyphs.size(), 1200 / 3 + 2);
            uint64_t total = 0;
            size_t k = 0; // position in the unfolded list
            for (size_t g = 0; g < f.glyphs.size(); ++g) {
                const auto& glyph = f.glyphs[g];
                uint16_t kinds = 0;
                for (uint32_t c = 0; c < glyph.count; ++c, ++k)
                    kinds |= u.glyphs[k].kinds;
                EXPECT_EQ(glyph.kinds, kinds) << "lane " << l << " glyph " << g;
                EXPECT_EQ(glyph.first, u.glyphs[k - glyph.count].first);
                if (g + 1 < f.glyphs.size()) {
                    EXPECT_GE(f.glyphs[g + 1].x0, glyph.x0 + 3 - 0.01f);
                }
                // Folding whole dense blocks may widen a fold, never beyond 2 x MinVisSize.
                EXPECT_LE(glyph.x1 - glyph.x0, 2 * 3 + 0.05f) << "lane " << l << " glyph " << g;
                total += glyph.count;
            }
            EXPECT_EQ(total, f.events);
            EXPECT_EQ(f.events, u.events);
        }
    }
}

TEST(Frame, AnEmptyViewportDrawsNothing) {
    tl::EventStore store;
    for (const auto& e : randomEvents(1000, 5, false))
        store.append(e);
    std::vector<tl::LaneId> lanes{{tl::LaneId::Type::Cpu, 0}, {tl::LaneId::Type::Task, 1}};
    for (tl::Viewport v : {tl::Viewport{100, 100, 800, 3}, tl::Viewport{500, 100, 800, 3},
                           tl::Viewport{0, 100000, 0, 3}}) {
        auto f = tl::buildFrame(store, lanes, v);
        ASSERT_EQ(f.size(), 2u);
        EXPECT_TRUE(f[0].glyphs.empty() && f[1].glyphs.empty());
    }
}

TEST(Frame, FoldsKeepEveryEventAndEveryKind) {
    for (bool bursty : {false, true}) {
        SCOPED_TRACE(bursty ? "bursty" : "uniform");
        tl::EventStore store;
        auto events = randomEvents(200000, 11, false);
        if (bursty) // bursts of 300 events 1 ns apart, then up to 2 ms of nothing
            for (size_t i = 0; i < events.size(); ++i)
                events[i].tsNs = 1000 + (i / 300) * 2'000'000 + (i % 300) +
                                 (i % 300 == 299 ? (i * 7919) % 1'500'000 : 0);
        for (const auto& e : events)
            store.append(e);
        checkFolds(store);
    }
}

TEST(EventStore, ThirtyOneBytesPerEventPlusOnePartialChunkPerCpu) {
    // Every task hops CPUs at random here (the worst case for task lanes).
    tl::EventStore store;
    for (const auto& e : randomEvents(1'000'000, 3, false))
        store.append(e);
    store.shrinkToFit();
    size_t slack = store.cpus().size() *
                   (tl::EventStore::ChunkSize * sizeof(tl::PackedEvent) + 64 * sizeof(uint32_t));
    // The lanes' index: per block of 256 events, its kinds (2 bytes) and first/last time
    // (16 bytes), in CPU and in task lanes (0.14 byte per event; docs/timeline.md).
    const size_t blocks = store.size() / 256 + store.cpus().size() + store.tids().size();
    slack += 2 * blocks * (sizeof(uint16_t) + sizeof(tl::BlockSpan));
    // 27 bytes in its CPU lane, 4 in its task lane, 1 byte per chunk of 4096 for its CPU.
    EXPECT_LE(store.memoryBytes(),
              (sizeof(tl::PackedEvent) + sizeof(tl::EventStore::Ref)) * store.size() +
                  store.size() / tl::EventStore::ChunkSize + slack);
    EXPECT_LE(store.memoryBytes(), 32 * store.size()); // the issue's budget, index included
    RecordProperty("bytes_per_event",
                   std::to_string(static_cast<double>(store.memoryBytes()) / store.size()));
}

TEST(TraceText, ImportsARealTracefsReport) {
    tl::EventStore store;
    auto r = tl::importTraceText(waitscope::base::readFile(Fixtures + "trace_vpoll.txt"), store);
    EXPECT_EQ(r.bad, 0u);
    ASSERT_GT(r.events, 100u);
    std::map<tl::Kind, size_t> kinds;
    for (const auto& e : store.all())
        ++kinds[e.kind];
    // The ping-pong's 20 rounds + the final EPOLLHUP: each ADD and DEL wakes
    // the epitem's ep_poll_callback entry, which the kprobe sees.
    EXPECT_EQ(kinds[tl::Kind::VpollAdd], 21u);
    EXPECT_EQ(kinds[tl::Kind::VpollDel], 21u);
    EXPECT_EQ(kinds[tl::Kind::VpollWake], 42u);
    EXPECT_EQ(kinds[tl::Kind::EpPollCallback], kinds[tl::Kind::VpollWake]);
    EXPECT_EQ(kinds[tl::Kind::VpollOpen], 1u);
    EXPECT_GT(kinds[tl::Kind::SchedSwitch], 0u);
    EXPECT_GT(kinds[tl::Kind::SchedWakeup], 0u);
    for (const auto& e : store.all())
        if (e.kind == tl::Kind::VpollAdd) {
            ASSERT_NE(store.task(e.pid), nullptr);
            EXPECT_EQ(store.task(e.pid)->comm, "trace_vpoll");
        }
}

TEST(TraceText, RejectsWhatIsNotATrace) {
    tl::EventStore store;
    auto r = tl::importTraceText("hello world\n  x-1 [0 nonsense\n", store);
    EXPECT_EQ(r.events, 0u);
    EXPECT_EQ(r.bad, 2u);
    EXPECT_THROW(tl::fromChromeJson("{\"traceEvents\": 3}"), waitscope::base::Error);
    EXPECT_THROW(tl::fromChromeJson("{ not json"), waitscope::base::Error);
}

TEST(ChromeJson, RoundTripsARealCaptureExactly) {
    tl::EventStore first = tl::loadTimelineFile(Fixtures + "vpoll_rate.json");
    ASSERT_EQ(first.size(), 202u); // OPEN, 200 ioctls, RELEASE
    EXPECT_EQ(first.dropped(), 0u);
    tl::EventStore second = tl::fromChromeJson(tl::toChromeJson(first));
    auto a = first.all(), b = second.all();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
        ASSERT_TRUE(sameEvent(a[i], b[i])) << "event " << i;
    for (size_t i = 1; i < a.size(); ++i)
        ASSERT_EQ(a[i].seq, a[i - 1].seq + 1) << "the capture has a gap at " << i;
    EXPECT_EQ(second.task(a[0].pid)->comm, first.task(a[0].pid)->comm);
}

TEST(ChromeJson, TraceTextSurvivesTheRoundTrip) {
    tl::EventStore text;
    tl::importTraceText(waitscope::base::readFile(Fixtures + "trace_vpoll.txt"), text);
    tl::EventStore back = tl::fromChromeJson(tl::toChromeJson(text));
    auto a = text.all(), b = back.all();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
        ASSERT_TRUE(sameEvent(a[i], b[i])) << "event " << i;
}

TEST(Latency, EveryChildWakeIsHarvestedByTheParent) {
    tl::EventStore store;
    tl::importTraceText(waitscope::base::readFile(Fixtures + "trace_vpoll.txt"), store);
    auto all = store.all();
    // The waiter is the task that polls without a poll table (epoll_wait's
    // re-poll); the child is the one that ADDs.
    int32_t parent = 0, child = 0;
    for (const auto& e : all) {
        if (e.kind == tl::Kind::VpollPoll && !(e.flags & tl::FlagPollTable))
            parent = e.pid;
        if (e.kind == tl::Kind::VpollAdd)
            child = e.pid;
    }
    ASSERT_NE(parent, 0);
    ASSERT_NE(child, parent);
    size_t childWakes = std::count_if(all.begin(), all.end(), [&](const auto& e) {
        return e.kind == tl::Kind::VpollWake && e.pid == child && e.waiters() > 0;
    });
    auto lat = tl::wakeupLatencies(store);
    ASSERT_FALSE(lat.wakeups.empty());
    for (const auto& w : lat.wakeups) {
        EXPECT_EQ(w.waker, child);
        EXPECT_EQ(w.waiter, parent);
        EXPECT_GE(w.backNs, w.wakeNs);
    }
    // The child sleeps 1 ms between ADDs, so the parent harvests each wake
    // before the next: every one is matched, once.
    EXPECT_EQ(lat.wakeups.size(), childWakes);
    EXPECT_LE(lat.minNs, lat.medianNs);
    EXPECT_LE(lat.medianNs, lat.maxNs);
}

// The post-mortem timeline: a snapshot read from a real vmcore (epdemo on 6.1) carries the
// ring's last records; the store has each one, in order, with its fields.
TEST(SnapshotRing, ReadsTheRecordsOfAVmcoreSnapshot) {
    const std::string path = WAITSCOPE_FIXTURES "/snapshots/epdemo-6.1.json";
    const std::string bytes = waitscope::base::readFile(path);
    ASSERT_TRUE(tl::looksLikeSnapshot(bytes));
    tl::SnapshotRingInfo info;
    tl::EventStore store = tl::loadSnapshotRing(bytes, &info);
    auto doc = nlohmann::json::parse(bytes);
    nlohmann::json ring;
    for (const auto& o : doc["objects"])
        if (o["type"] == "vpoll_ring")
            ring = o;
    ASSERT_FALSE(ring.is_null());
    const auto& recs = ring["records"];
    ASSERT_GT(recs.size(), 5u);
    EXPECT_EQ(info.head, ring["head"].get<uint64_t>());
    EXPECT_EQ(info.records, recs.size());
    EXPECT_EQ(info.captureNs, doc["kernel"]["uptime_ns"].get<uint64_t>());
    auto all = store.all();
    ASSERT_EQ(all.size(), recs.size());
    for (size_t i = 0; i < all.size(); ++i) {
        const auto& r = recs[i];
        const tl::Event& e = all[i];
        EXPECT_EQ(e.seq, r["seq"].get<uint32_t>());
        EXPECT_EQ(e.tsNs, r["ts_ns"].get<uint64_t>());
        EXPECT_EQ(e.pid, r["pid"].get<int32_t>());
        EXPECT_EQ(e.instance, r["instance"].get<uint32_t>());
        EXPECT_EQ(e.cpu, r["cpu"].get<uint16_t>());
        EXPECT_EQ(tl::kindName(e.kind), "vpoll_" + r["kind"].get<std::string>());
        if (e.kind == tl::Kind::VpollWake)
            EXPECT_EQ(e.waiters(), r["waiters"].get<uint16_t>());
        else
            EXPECT_EQ(e.arg, r["arg"].get<uint32_t>());
        ASSERT_NE(store.task(e.pid), nullptr);
        EXPECT_EQ(store.task(e.pid)->comm, r["comm"].get<std::string>());
    }
    // `timeline show|convert` read it through loadTimelineFile.
    EXPECT_EQ(tl::loadTimelineFile(path).size(), recs.size());
}

TEST(SnapshotRing, BadSnapshotsAreErrors) {
    EXPECT_THROW(tl::loadSnapshotRing(R"({"schema": "waitscope.snapshot/1", "objects": []})"),
                 waitscope::base::Error);
    EXPECT_THROW(tl::loadSnapshotRing(R"({"schema": "waitscope.snapshot/1", "objects": [)"),
                 waitscope::base::Error);
    EXPECT_THROW(tl::loadSnapshotRing(R"({"schema": "waitscope.snapshot/1", "objects": [
        {"type": "vpoll_ring", "records": [{"seq": "x"}]}]})"),
                 waitscope::base::Error);
    EXPECT_THROW(tl::loadSnapshotRing(R"({"schema": "waitscope.snapshot/1", "objects": [
        {"type": "vpoll_ring", "records": [{"seq": 1, "cpu": 70000}]}]})"),
                 waitscope::base::Error);
    EXPECT_THROW(tl::loadSnapshotRing("not json"), waitscope::base::Error);
    try {
        tl::loadSnapshotRing(R"({"schema": "waitscope.snapshot/1", "objects": [],
            "capabilities": {"vpoll_ring": {"status": "missing", "reason": "no vpoll"}}})");
        FAIL();
    } catch (const waitscope::base::Error& e) {
        EXPECT_NE(std::string(e.what()).find("no vpoll"), std::string::npos) << e.what();
    }
}
