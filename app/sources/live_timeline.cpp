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

/// The guest RAM file and QEMU pid of a running lab VM (name, state directory or a file in
/// it such as its QMP socket).
std::pair<fs::path, pid_t> findVm(const std::string& spec) {
    std::error_code ec;
    std::vector<fs::path> cands;
    if (spec.find('/') == std::string::npos) {
        cands.push_back(lab::labRuntimeDir() / "lab" / spec / "vm.json");
    } else {
        cands.push_back(fs::path(spec) / "vm.json");
        cands.push_back(fs::path(spec).parent_path() / "vm.json"); // its QMP socket
    }
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

} // namespace

LeftRightTimeline::LeftRightTimeline(std::string origin) {
    for (Slot& s : m_slots) {
        s.data = std::make_shared<TimelineData>();
        s.data->origin = origin;
    }
}

void LeftRightTimeline::add(tl::EventStore batch, std::uint64_t sync) {
    Batch b;
    b.events = batch.all();
    for (std::int32_t tid : batch.tids())
        if (const tl::TaskInfo* t = batch.task(tid))
            b.tasks.push_back(*t);
    b.dropped = batch.dropped();
    b.sync = sync;
    if (!b.events.empty() || b.dropped || sync > publishedSync() || m_pub < 0)
        m_pending.push_back(std::move(b));
}

void LeftRightTimeline::apply(TimelineData& d, const Batch& b) {
    for (const tl::TaskInfo& t : b.tasks)
        d.store.setTask(t);
    for (const tl::Event& e : b.events) {
        d.store.append(e);
        if (std::uint16_t bit = tl::kindBit(e.kind))
            ++d.kindCounts[static_cast<std::size_t>(std::countr_zero(bit))];
    }
    d.store.addDropped(b.dropped);
}

std::uint64_t LeftRightTimeline::publishedSync() const {
    return m_pub < 0 ? 0 : m_slots[m_pub].sync;
}

TimelinePtr LeftRightTimeline::publish() {
    const std::uint64_t total = m_base + m_pending.size();
    if (m_pub >= 0 && m_slots[m_pub].applied == total)
        return nullptr;
    Slot& s = m_slots[m_pub < 0 ? 0 : 1 - m_pub];
    if (s.data.use_count() != 1)
        return nullptr; // a reader (the UI, a filter job) still has it: next time
    std::atomic_thread_fence(std::memory_order_acquire); // after the reader's last use
    TimelineData& d = *s.data;
    for (std::uint64_t i = s.applied; i < total; ++i) {
        apply(d, m_pending[i - m_base]);
        s.sync = std::max(s.sync, m_pending[i - m_base].sync);
    }
    s.applied = total;
    d.firstNs = d.store.firstNs(); // settles: reads of the published store never write
    d.lastNs = d.store.lastNs();
    d.cpus = d.store.cpus();
    d.tids = d.store.tids();
    // Latencies need the whole store: at most about once a second per store, and at most
    // 1/40 of the time per store (5% for both).
    auto now = Clock::now();
    if (now - s.latencyAt >
        std::max<Clock::duration>(std::chrono::seconds(1), s.latencyCost * 40)) {
        d.latency = tl::wakeupLatencies(d.store);
        s.latencyAt = Clock::now();
        s.latencyCost = s.latencyAt - now;
    }
    d.serial = nextTimelineSerial();
    m_pub = static_cast<int>(&s - m_slots);
    while (!m_pending.empty() && m_base < std::min(m_slots[0].applied, m_slots[1].applied)) {
        m_pending.pop_front();
        ++m_base;
    }
    return s.data;
}

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

    LeftRightTimeline lr("live capture of lab VM " + m_vm);
    std::uint64_t syncSeen = 0;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> rate;
    auto publish = [&] {
        TimelinePtr d = lr.publish();
        if (!d)
            return;
        {
            std::lock_guard lock(m_mutex);
            m_published = std::move(d);
            ++m_status.publishes;
        }
        if (lr.publishedSync() > m_syncDone.load())
            m_syncDone = lr.publishedSync();
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
        try {
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
                lr.add(gone ? cap->finish() : cap->takeNew(), sync);
                tl::CaptureStats st = cap->stats();
                if (gone)
                    cap.reset();
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
                    s.eventsPerSec =
                        gone || secs <= 0
                            ? 0
                            : static_cast<double>(st.records - rate.front().second) / secs;
                });
            } else if (sync > syncSeen) {
                lr.add({}, sync); // nothing more will come: answer it
            }
            syncSeen = sync;
            publish();
        } catch (const std::exception& e) { // bad_alloc: say so and stop, keep what was shown
            setStatus([&](LiveStatus& st) {
                st.state = LiveStatus::State::Failed;
                st.message = e.what();
            });
            break;
        }
    }
    cap.reset(); // joins the capture's poll thread
    setStatus([](LiveStatus& s) {
        if (s.state != LiveStatus::State::Stopped && s.state != LiveStatus::State::Failed) {
            s.state = LiveStatus::State::Stopped;
            s.message = "capture stopped";
            s.eventsPerSec = 0;
        }
    });
    m_syncDone = UINT64_MAX;
    m_finished = true;
}

} // namespace waitscope::app
