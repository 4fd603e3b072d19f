// The one record -> event conversion (ring_record.hpp) that the live reader,
// snapshots and the app share: ring ABI 2's folded wakes and TSC stamps, ABI 1's
// separate WAKE records, and the live reader following a ring in guest memory.
#include <gtest/gtest.h>
#include <uapi/vpoll.h>

#include <cstring>
#include <vector>

#include <waitscope/timeline/ring_reader.hpp>
#include <waitscope/timeline/ring_record.hpp>

namespace tl = waitscope::timeline;

namespace {

vpoll_record record(uint64_t seq, uint16_t kind, uint64_t ts, uint32_t flags) {
    vpoll_record r{};
    r.seq = seq;
    r.ts_ns = ts;
    r.instance = 7;
    r.kind = kind;
    r.cpu = 1;
    r.pid = 100;
    r.tgid = 99;
    r.arg = 0x1;
    r.events = 0x5;
    r.flags = flags;
    std::strcpy(r.comm, "pingpong");
    return r;
}

} // namespace

TEST(RingRecord, AnAddThatWokeIsTheAddAndItsWake) {
    vpoll_record r = record(41, VPOLL_KIND_ADD, 5000, VPOLL_REC_WOKE);
    r.waiters = 3;
    r.exclusive = 1;
    auto rec = tl::decodeRecord(r, {});
    ASSERT_TRUE(rec);
    tl::EventStore store;
    EXPECT_EQ(tl::appendRingRecord(store, *rec), 2u);
    auto all = store.all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].kind, tl::Kind::VpollAdd);
    EXPECT_EQ(all[0].arg, 0x1u);
    EXPECT_EQ(all[0].flags, 0);
    EXPECT_EQ(all[1].kind, tl::Kind::VpollWake);
    EXPECT_EQ(all[1].waiters(), 3);
    EXPECT_EQ(all[1].exclusive(), 1);
    EXPECT_EQ(all[1].events, 0x5u); // the wake key is the resulting mask
    EXPECT_EQ(all[1].flags, tl::FlagFolded);
    EXPECT_EQ(all[1].seq, 41u);
    EXPECT_EQ(all[1].tsNs, 5000u);
    ASSERT_NE(store.task(100), nullptr);
    EXPECT_EQ(store.task(100)->comm, "pingpong");
    EXPECT_EQ(store.task(100)->tgid, 99);
}

TEST(RingRecord, AnAbi1WakeRecordIsOneWake) {
    vpoll_record r = record(42, VPOLL_KIND_WAKE, 5000, 0);
    r.waiters = 2;
    tl::EventStore store;
    EXPECT_EQ(tl::appendRingRecord(store, *tl::decodeRecord(r, {})), 1u);
    ASSERT_EQ(store.size(), 1u);
    EXPECT_EQ(store.all()[0].kind, tl::Kind::VpollWake);
    EXPECT_EQ(store.all()[0].waiters(), 2);
    EXPECT_EQ(store.all()[0].flags, 0);
    // A POLL with a poll table keeps FlagPollTable; unknown kinds are Unknown.
    EXPECT_EQ(tl::ringRecordKind(uint32_t{99}), tl::Kind::Unknown);
    EXPECT_EQ(tl::ringRecordKind("wake"), tl::Kind::VpollWake);
}

TEST(RingRecord, TscStampsBecomeMonotonicNs) {
    tl::RingClock clock{1'000'000'000, 7'000'000'000, 2'000'000}; // 2 GHz
    EXPECT_EQ(tl::tscToNs(1'000'000'000, clock), 7'000'000'000u);
    EXPECT_EQ(tl::tscToNs(1'000'002'001, clock), 7'000'001'000u); // truncated
    EXPECT_EQ(tl::tscToNs(999'998'000, clock), 6'999'999'000u);   // before the sample
    // Hours of ticks do not overflow: 2e15 ticks at 2 GHz are 1e6 s.
    EXPECT_EQ(tl::tscToNs(1'000'000'000 + 2'000'000'000'000'000, clock),
              7'000'000'000u + 1'000'000'000'000'000u);
    vpoll_record r = record(1, VPOLL_KIND_POLL, 1'000'004'000, VPOLL_REC_TSC | VPOLL_REC_PT);
    auto rec = tl::decodeRecord(r, clock);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->tsNs, 7'000'002'000u);
    EXPECT_EQ(rec->flags, uint32_t{VPOLL_REC_PT}); // TSC cleared: the time is ns now
    // Without a clock (being re-sampled, khz 0) a TSC stamp cannot be placed.
    EXPECT_FALSE(tl::decodeRecord(r, {}));
    // An ns stamp needs no clock.
    EXPECT_EQ(tl::decodeRecord(record(1, VPOLL_KIND_POLL, 123, 0), {})->tsNs, 123u);
}

// The live reader on an ABI 2 ring laid out in memory as the module lays it out.
TEST(RingReader, FollowsAnAbi2RingWithTscStampsAndFoldedWakes) {
    constexpr size_t Phys = 8192, Capacity = 8;
    std::vector<uint8_t> mem(64 * 1024);
    vpoll_ring_header h{};
    h.magic = VPOLL_RING_MAGIC;
    h.abi = VPOLL_RING_ABI;
    h.header_size = sizeof h;
    h.record_size = sizeof(vpoll_record);
    h.capacity = Capacity;
    h.self_phys = Phys;
    h.records_offset = sizeof h;
    h.head = 3;
    h.clock_tsc = 1000;
    h.clock_mono_ns = 50'000;
    h.clock_tsc_khz = 1'000'000; // 1 GHz: a tick is a ns
    std::memcpy(mem.data() + Phys, &h, sizeof h);
    vpoll_record recs[3] = {record(0, VPOLL_KIND_OPEN, 1100, VPOLL_REC_TSC),
                            record(1, VPOLL_KIND_ADD, 1200, VPOLL_REC_TSC | VPOLL_REC_WOKE),
                            record(2, VPOLL_KIND_DEL, 50'300, 0)};
    recs[1].waiters = 1;
    std::memcpy(mem.data() + Phys + sizeof h, recs, sizeof recs);
    waitscope::base::MappedFile guest(mem.data(), mem.size());
    auto info = tl::findRing(guest);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->phys, Phys);
    tl::RingReader reader(guest, *info);
    tl::EventStore store;
    tl::PollResult r = reader.poll(store);
    EXPECT_EQ(r.records, 3u);
    EXPECT_EQ(r.dropped, 0u);
    auto all = store.all();
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].kind, tl::Kind::VpollOpen);
    EXPECT_EQ(all[0].tsNs, 50'100u);
    EXPECT_EQ(all[1].kind, tl::Kind::VpollAdd);
    EXPECT_EQ(all[2].kind, tl::Kind::VpollWake);
    EXPECT_EQ(all[2].tsNs, 50'200u);
    EXPECT_EQ(all[2].waiters(), 1);
    EXPECT_EQ(all[3].kind, tl::Kind::VpollDel);
    EXPECT_EQ(all[3].tsNs, 50'300u);

    // While the module re-samples its clock (khz 0) a TSC record waits for the next poll.
    vpoll_record next = record(3, VPOLL_KIND_POLL, 1400, VPOLL_REC_TSC);
    std::memcpy(mem.data() + Phys + sizeof h + 3 * sizeof next, &next, sizeof next);
    h.head = 4;
    h.clock_tsc_khz = 0;
    std::memcpy(mem.data() + Phys, &h, sizeof h);
    EXPECT_EQ(reader.poll(store).records, 0u);
    h.clock_tsc_khz = 1'000'000;
    std::memcpy(mem.data() + Phys, &h, sizeof h);
    r = reader.poll(store);
    EXPECT_EQ(r.records, 1u);
    EXPECT_EQ(r.dropped, 0u);
    EXPECT_EQ(store.all().back().tsNs, 50'400u);
}
