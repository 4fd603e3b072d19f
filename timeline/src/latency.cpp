#include <algorithm>
#include <bit>
#include <unordered_map>

#include <waitscope/timeline/latency.hpp>

namespace waitscope::timeline {

LatencyStats wakeupLatencies(const EventStore& store) {
    LatencyStats s;
    struct Pending {
        uint64_t wakeNs;
        int32_t waker;
    };
    std::unordered_map<uint32_t, std::vector<Pending>> pending; // by instance, oldest first
    for (const Event& e : store.all()) {
        if (e.kind == Kind::VpollWake && e.waiters() > 0) {
            pending[e.instance].push_back({e.tsNs, e.pid});
        } else if (e.kind == Kind::VpollPoll && !(e.flags & FlagPollTable)) {
            // A task harvesting the instance's readiness: the oldest wake by
            // someone else is what brought it back; later ones it answers too.
            auto it = pending.find(e.instance);
            if (it == pending.end())
                continue;
            auto& list = it->second;
            auto woke = std::find_if(list.begin(), list.end(),
                                     [&](const Pending& p) { return p.waker != e.pid; });
            if (woke != list.end())
                s.wakeups.push_back({woke->wakeNs, e.tsNs, e.instance, woke->waker, e.pid});
            list.clear(); // its own wakes included: it saw the state itself
        } else if (e.kind == Kind::VpollRelease) {
            if (auto it = pending.find(e.instance); it != pending.end()) {
                s.unmatched += it->second.size();
                pending.erase(it);
            }
        }
    }
    for (const auto& [instance, list] : pending)
        s.unmatched += list.size();
    if (s.wakeups.empty())
        return s;
    std::vector<uint64_t> lat;
    lat.reserve(s.wakeups.size());
    for (const auto& w : s.wakeups) {
        lat.push_back(w.latencyNs());
        size_t bucket = w.latencyNs() ? std::bit_width(w.latencyNs()) - 1 : 0;
        if (s.log2Histogram.size() <= bucket)
            s.log2Histogram.resize(bucket + 1);
        ++s.log2Histogram[bucket];
    }
    std::sort(lat.begin(), lat.end());
    s.minNs = lat.front();
    s.maxNs = lat.back();
    s.medianNs = lat[lat.size() / 2];
    s.p99Ns = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)];
    return s;
}

} // namespace waitscope::timeline
