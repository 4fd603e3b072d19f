#include <waitscope/base/error.hpp>
#include <waitscope/timeline/live_capture.hpp>

namespace waitscope::timeline {

LiveCapture::LiveCapture(const std::filesystem::path& ramPath, std::chrono::microseconds period)
    : m_mem(ramPath), m_period(period) {
    pollOnce(); // locate the ring now, so nothing the caller starts next is missed
    m_thread = std::thread([this] { loop(); });
}

LiveCapture::~LiveCapture() {
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
}

void LiveCapture::pollOnce() {
    if (!m_reader) {
        auto info = findRing(m_mem);
        if (!info)
            return;
        m_reader.emplace(m_mem, *info);
        std::lock_guard lock(m_mutex);
        m_stats.capacity = info->capacity;
        m_stats.ringPhys = info->phys;
    }
    std::lock_guard lock(m_mutex);
    PollResult r = m_reader->poll(m_store);
    ++m_stats.polls;
    m_stats.records += r.records;
    m_stats.dropped += r.dropped;
    if (r.ringGone) {
        // Module unloaded (or reloaded): look for the ring again.
        m_reader.reset();
        m_stats.error = "the ring went away (vpoll unloaded?)";
    }
}

void LiveCapture::loop() {
    while (!m_stop) {
        pollOnce();
        std::this_thread::sleep_for(m_period);
    }
}

EventStore LiveCapture::finish() {
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
    pollOnce();
    std::lock_guard lock(m_mutex);
    return std::move(m_store);
}

CaptureStats LiveCapture::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

EventStore LiveCapture::takeNew() {
    std::lock_guard lock(m_mutex);
    EventStore out = std::move(m_store);
    m_store = EventStore();
    return out;
}

} // namespace waitscope::timeline
