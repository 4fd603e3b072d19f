// The live timeline's thread: find the VM, follow its ring, publish left-right.
#include "live_timeline.hpp"

#include <algorithm>
#include <bit>
#include <deque>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/base/process.hpp>
#include <waitscope/lab/vm.hpp>
#include <waitscope/timeline/live_capture.hpp>

namespace fs = std::filesystem;
namespace tl = waitscope::timeline;
using Clock = std::chrono::steady_clock;

namespace waitscope::app {

const char* toString(LiveStatus::State s) {
    switch (s) {
    case LiveStatus::State::Starting:
        return "starting";
    case LiveStatus::State::Waiting:
        return "waiting";
    case LiveStatus::State::Capturing:
        return "capturing";
    case LiveStatus::State::Stopped:
        return "stopped";
    case LiveStatus::State::Failed:
        return "failed";
    }
    return "?";
}

namespace {

/// The guest RAM file and QEMU pid of a running lab VM (name or state directory).
std::pair<fs::path, pid_t> findVm(const std::string& spec) {
    std::error_code ec;
    std::vector<fs::path> cands;
    if (spec.find('/') == std::string::npos)
        cands.push_back(lab::labRuntimeDir() / "lab" / spec / "vm.json");
    cands.push_back(fs::path(spec) / "vm.json");
    for (const fs::path& c : cands) {
        if (!fs::is_regular_file(c, ec))
            continue;
        nlohmann::json vm;
        try {
            vm = nlohmann::json::parse(base::readFile(c));
        } catch (const nlohmann::json::exception& e) {
            throw base::Error(c.string() + ": " + e.what());
        }
        fs::path ram = vm.value("ram_path", "");
        pid_t qemu = vm.value("qemu_pid", -1);
        if (ram.empty() || !fs::exists(ram, ec) || (qemu > 0 && !base::processAlive(qemu)))
            throw base::Error("lab VM " + spec + " is not running");
        return {ram, qemu};
    }
    throw base::Error("no running lab VM '" + spec + "'");
}

/// Events the capture brought since the last batch, as they are appended to each store.
struct Batch {
    std::vector<tl::Event> events; ///< in time order
    std::vector<tl::TaskInfo> tasks;
    std::uint64_t dropped = 0;
    std::uint64_t sync = 0; ///< the sync request this batch answers
};

Batch toBatch(tl::EventStore s, std::uint64_t sync) {
    Batch b;
    b.events = s.all();
    for (std::int32_t tid : s.tids())
        if (const tl::TaskInfo* t = s.task(tid))
            b.tasks.push_back(*t);
    b.dropped = s.dropped();
    b.sync = sync;
    return b;
}

/// One of the two stores that take turns being published.
struct Slot {
    std::shared_ptr<TimelineData> data = std::make_shared<TimelineData>();
    std::uint64_t applied = 0; ///< batches in it (absolute count)
    std::uint64_t sync = 0;
    Clock::time_point latencyAt{};
    Clock::duration latencyCost{};
};

void apply(TimelineData& d, const Batch& b) {
    for (const tl::TaskInfo& t : b.tasks)
        d.store.setTask(t);
    for (const tl::Event& e : b.events) {
        d.store.append(e);
        if (std::uint16_t bit = tl::kindBit(e.kind))
            ++d.kindCounts[static_cast<std::size_t>(std::countr_zero(bit))];
    }
    d.store.addDropped(b.dropped);
}

} // namespace

LiveTimeline::LiveTimeline(std::string vm, std::function<void()> wake,
                           std::chrono::milliseconds period)
    : m_vm(std::move(vm)), m_wake(std::move(wake)), m_period(period) {
    m_thread = std::thread([this] { run(); });
}

LiveTimeline::~LiveTimeline() {
    stop();
    if (m_thread.joinable())
        m_thread.join();
}

TimelinePtr LiveTimeline::data() const {
    std::lock_guard lock(m_mutex);
    return m_published;
}

LiveStatus LiveTimeline::status() const {
    std::lock_guard lock(m_mutex);
    return m_status;
}

void LiveTimeline::requestSync() {
    ++m_syncRequested;
    m_cv.notify_all();
}

void LiveTimeline::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
}

void LiveTimeline::run() {
    auto setStatus = [this](auto&& change) {
        std::lock_guard lock(m_mutex);
        change(m_status);
    };
    fs::path ram;
    pid_t qemu = -1;
    std::unique_ptr<tl::LiveCapture> cap;
    try {
        std::tie(ram, qemu) = findVm(m_vm);
        cap = std::make_unique<tl::LiveCapture>(ram);
    } catch (const std::exception& e) { // base::Error, filesystem, bad_alloc: said, not fatal
        setStatus([&](LiveStatus& s) {
            s.state = LiveStatus::State::Failed;
            s.message = e.what();
        });
        m_syncDone = UINT64_MAX; // nothing will come: scripts waiting for a sync go on
        m_finished = true;
        if (m_wake)
            m_wake();
        return;
    }

    Slot slots[2];
    const std::string origin = "live capture of lab VM " + m_vm;
    for (Slot& s : slots)
        s.data->origin = origin;
    int pub = -1;
    std::deque<Batch> pending;
    std::uint64_t base = 0; // batch number of pending.front()
    std::uint64_t syncSeen = 0;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> rate;

    // Append what the UI has not got to the store it no longer holds, settle it, publish.
    auto publish = [&] {
        const std::uint64_t total = base + pending.size();
        if (pub >= 0 && slots[pub].applied == total)
            return;
        Slot& s = slots[pub < 0 ? 0 : 1 - pub];
        if (s.data.use_count() != 1)
            return; // the UI (or a filter job) still reads it: next time
        std::atomic_thread_fence(std::memory_order_acquire);
        TimelineData& d = *s.data;
        for (std::uint64_t i = s.applied; i < total; ++i) {
            apply(d, pending[i - base]);
            s.sync = std::max(s.sync, pending[i - base].sync);
        }
        s.applied = total;
        d.firstNs = d.store.firstNs(); // settles: reads of the published store never write
        d.lastNs = d.store.lastNs();
        d.cpus = d.store.cpus();
        d.tids = d.store.tids();
        // Latencies need the whole store: at most about once a second per store, and
        // never more than 5% of the time.
        auto now = Clock::now();
        if (now - s.latencyAt >
            std::max<Clock::duration>(std::chrono::seconds(1), s.latencyCost * 20)) {
            d.latency = tl::wakeupLatencies(d.store);
            s.latencyAt = Clock::now();
            s.latencyCost = s.latencyAt - now;
        }
        d.serial = nextTimelineSerial();
        {
            std::lock_guard lock(m_mutex);
            m_published = s.data;
            ++m_status.publishes;
        }
        pub = static_cast<int>(&s - slots);
        if (s.sync > m_syncDone.load())
            m_syncDone = s.sync;
        while (!pending.empty() && base < std::min(slots[0].applied, slots[1].applied)) {
            pending.pop_front();
            ++base;
        }
        if (m_wake)
            m_wake();
    };

    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait_for(lock, m_period,
                          [&] { return m_stop || m_syncRequested.load() > syncSeen; });
            if (m_stop)
                break;
        }
        const std::uint64_t sync = m_syncRequested.load();
        if (cap) {
            if (sync > syncSeen) {
                // Let the capture poll at least once after the request.
                std::uint64_t polls = cap->stats().polls;
                auto until = Clock::now() + std::chrono::milliseconds(500);
                while (cap->stats().polls < polls + 2 && Clock::now() < until)
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            std::error_code ec;
            const bool gone = (qemu > 0 && !base::processAlive(qemu)) || !fs::exists(ram, ec);
            // The mapping stays readable after the VM exits: read the ring a last time.
            Batch b = toBatch(gone ? cap->finish() : cap->takeNew(), sync);
            tl::CaptureStats st = cap->stats();
            if (gone)
                cap.reset();
            if (!b.events.empty() || b.dropped || sync > syncSeen)
                pending.push_back(std::move(b));
            auto now = Clock::now();
            rate.emplace_back(now, st.records);
            while (rate.size() > 2 && now - rate.front().first > std::chrono::seconds(1))
                rate.pop_front();
            double secs = std::chrono::duration<double>(now - rate.front().first).count();
            setStatus([&](LiveStatus& s) {
                s.state = gone              ? LiveStatus::State::Stopped
                          : st.capacity > 0 ? LiveStatus::State::Capturing
                                            : LiveStatus::State::Waiting;
                s.message = gone ? "the lab VM exited" : st.error;
                s.captured = st.records;
                s.dropped = st.dropped;
                s.capacity = st.capacity;
                s.eventsPerSec = gone || secs <= 0
                                     ? 0
                                     : static_cast<double>(st.records - rate.front().second) / secs;
            });
        } else if (sync > syncSeen) {
            pending.push_back(Batch{{}, {}, 0, sync}); // nothing more will come: answer it
        }
        syncSeen = sync;
        publish();
    }
    cap.reset(); // joins the capture's poll thread
    setStatus([](LiveStatus& s) {
        if (s.state != LiveStatus::State::Stopped) {
            s.state = LiveStatus::State::Stopped;
            s.message = "capture stopped";
            s.eventsPerSec = 0;
        }
    });
    m_syncDone = UINT64_MAX;
    m_finished = true;
}

} // namespace waitscope::app
