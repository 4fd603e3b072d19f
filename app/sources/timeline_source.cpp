// Timeline data for the app: loading, the snapshot's ring, links to the graph.
#include "timeline_source.hpp"

#include <algorithm>
#include <atomic>
#include <bit>

#include <waitscope/base/error.hpp>
#include <waitscope/timeline/snapshot_ring.hpp>

namespace fs = std::filesystem;

namespace waitscope::app {

using model::Field;
using model::Kind;
using model::ObjectId;

std::uint64_t nextTimelineSerial() {
    static std::atomic<std::uint64_t> next{1};
    return next++;
}

TimelinePtr makeTimeline(timeline::EventStore store, std::string origin) {
    auto d = std::make_shared<TimelineData>();
    d->serial = nextTimelineSerial();
    d->firstNs = store.firstNs(); // sorts every lane once: reads after this never write
    d->lastNs = store.lastNs();
    d->cpus = store.cpus();
    d->tids = store.tids();
    d->latency = timeline::wakeupLatencies(store);
    for (std::uint16_t cpu : d->cpus) {
        const auto& lane = store.cpuLane(cpu);
        for (std::size_t i = 0; i < lane.size(); ++i)
            if (std::uint16_t bit = timeline::kindBit(lane[i].kind()))
                ++d->kindCounts[static_cast<std::size_t>(std::countr_zero(bit))];
    }
    d->store = std::move(store);
    d->origin = std::move(origin);
    return d;
}

fs::path findEventsFile(const model::Session& session) {
    std::error_code ec;
    for (const model::SessionEntry& e : session.entries()) {
        if (e.source.empty())
            continue;
        fs::path dir = fs::is_directory(e.source, ec) ? e.source : e.source.parent_path();
        fs::path f = dir / "events.json";
        if (fs::is_regular_file(f, ec))
            return f;
    }
    return {};
}

namespace {

Field member(const model::Object& o, std::string_view name) {
    return o.fields().root().member(name);
}

std::uint64_t u64(Field f, std::uint64_t max, bool& ok) {
    auto v = f.asU64();
    if (!f.exists() || f.isNull())
        return 0;
    if (!v || *v > max) {
        ok = false;
        return 0;
    }
    return *v;
}

} // namespace

timeline::EventStore ringEvents(const model::Snapshot& snapshot, std::size_t* bad) {
    timeline::EventStore store;
    std::size_t skipped = 0;
    for (const model::ObjectPtr& o : snapshot.objectsOf(Kind::VpollRing)) {
        for (Field r : member(*o, "records").children()) {
            bool ok = true;
            timeline::RingRecord rec;
            rec.seq = u64(r.member("seq"), UINT64_MAX, ok);
            rec.tsNs = u64(r.member("ts_ns"), (std::uint64_t{1} << 48) - 1, ok);
            rec.instance = static_cast<std::uint32_t>(u64(r.member("instance"), UINT32_MAX, ok));
            rec.kind = timeline::ringRecordKind(r.member("kind").str());
            rec.cpu =
                static_cast<std::uint16_t>(u64(r.member("cpu"), timeline::EventStore::MaxCpu, ok));
            rec.pid = static_cast<std::int32_t>(u64(r.member("pid"), INT32_MAX, ok));
            rec.tgid = static_cast<std::int32_t>(u64(r.member("tgid"), INT32_MAX, ok));
            rec.arg = static_cast<std::uint32_t>(u64(r.member("arg"), UINT32_MAX, ok));
            rec.events = static_cast<std::uint32_t>(u64(r.member("events"), UINT32_MAX, ok));
            rec.waiters = static_cast<std::uint16_t>(u64(r.member("waiters"), UINT16_MAX, ok));
            rec.exclusive = static_cast<std::uint16_t>(u64(r.member("exclusive"), UINT16_MAX, ok));
            rec.flags = static_cast<std::uint32_t>(u64(r.member("flags"), UINT32_MAX, ok));
            rec.comm = r.member("comm").str();
            if (!ok) {
                ++skipped;
                continue;
            }
            timeline::appendRingRecord(store, rec);
        }
        break; // one ring per kernel
    }
    if (bad)
        *bad = skipped;
    return store;
}

std::uint64_t captureTimeNs(const model::Snapshot& snapshot) {
    auto v = snapshot.meta().root().member("kernel").member("uptime_ns").asU64();
    return v ? *v : 0;
}

namespace {

const model::Object* vpollOf(const model::Snapshot& s, std::uint32_t instance) {
    for (const model::ObjectPtr& o : s.objectsOf(Kind::Vpoll))
        if (member(*o, "instance").asU64() == instance)
            return o.get();
    return nullptr;
}

ObjectId taskOf(const model::Snapshot& s, std::int32_t tid) {
    for (const model::ObjectPtr& o : s.objectsOf(Kind::Task))
        if (member(*o, "pid").asInt() == tid)
            return o->id();
    return {};
}

} // namespace

EventObjects findEventObjects(const model::Snapshot& snapshot, const timeline::Event& event,
                              const std::vector<std::int32_t>& woken) {
    EventObjects out;
    if (TimelineFilter::isVpoll(event)) {
        if (const model::Object* v = vpollOf(snapshot, event.instance)) {
            out.vpoll = v->id();
            out.waitQueue = member(*v, "wqh").ref();
            for (const model::ObjectPtr& f : snapshot.objectsOf(Kind::File))
                if (member(*f, "private").ref() == out.vpoll)
                    out.files.push_back(f->id());
        }
    }
    out.task = taskOf(snapshot, event.pid);
    for (std::int32_t tid : woken)
        if (ObjectId t = taskOf(snapshot, tid); t.valid())
            out.wokenTasks.push_back(t);
    return out;
}

bool TimelineFilter::isVpoll(const timeline::Event& e) {
    return e.kind >= timeline::Kind::VpollOpen && e.kind <= timeline::Kind::VpollRelease;
}

TimelineFilter filterFor(const model::Snapshot& snapshot, ObjectId id) {
    TimelineFilter f;
    const model::Object* o = snapshot.find(id);
    if (!o)
        return f;
    if (o->kind() == Kind::File) // a vpoll device file: its private is the instance
        o = snapshot.find(member(*o, "private").ref());
    if (o && o->kind() == Kind::WaitQueueHead) // vpoll's wqh is at the vpoll_data's address
        for (const model::ObjectPtr& v : snapshot.objectsOf(Kind::Vpoll))
            if (member(*v, "wqh").ref() == o->id())
                o = v.get();
    if (!o)
        return f;
    if (o->kind() == Kind::Vpoll) {
        if (auto n = member(*o, "instance").asU64(); n && *n <= UINT32_MAX) {
            f.by = TimelineFilter::By::Instance;
            f.value = static_cast<std::uint32_t>(*n);
        }
    } else if (o->kind() == Kind::Task) {
        if (auto p = member(*o, "pid").asInt(); p && *p >= 0 && *p <= INT32_MAX) {
            f.by = TimelineFilter::By::Task;
            f.value = static_cast<std::uint32_t>(*p);
        }
    }
    return f;
}

FilteredTimeline filterTimeline(const TimelineData& data, const TimelineFilter& f,
                                const std::function<bool()>& cancelled) {
    FilteredTimeline out;
    out.origin = std::make_shared<std::vector<timeline::EventStore::Ref>>();
    for (std::uint16_t cpu : data.cpus) {
        const auto& lane = data.store.cpuLane(cpu);
        for (std::size_t i = 0; i < lane.size() && !cancelled(); ++i)
            if (f.matches(lane.event(i)))
                out.origin->push_back(lane.ref(i));
    }
    std::stable_sort(out.origin->begin(), out.origin->end(), [&](auto a, auto b) {
        return data.store.packed(a).tsNs() < data.store.packed(b).tsNs();
    });
    timeline::EventStore s;
    for (auto r : *out.origin) {
        timeline::Event e = data.store.at(r);
        e.cpu = 0;
        s.append(e);
    }
    if (!cancelled())
        out.timeline = makeTimeline(std::move(s), "filter");
    return out;
}

} // namespace waitscope::app
