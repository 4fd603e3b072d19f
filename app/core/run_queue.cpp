#include "run_queue.hpp"

namespace waitscope::app {

void RunQueue::setWake(std::function<void()> wake) {
    std::lock_guard lock(m_mutex);
    m_wake = std::move(wake);
}

void RunQueue::post(std::function<void()> task) {
    std::function<void()> wake;
    {
        std::lock_guard lock(m_mutex);
        m_tasks.push_back(std::move(task));
        wake = m_wake;
    }
    if (wake)
        wake();
}

std::size_t RunQueue::drain() {
    std::vector<std::function<void()>> tasks;
    {
        std::lock_guard lock(m_mutex);
        tasks.swap(m_tasks);
    }
    for (auto& t : tasks)
        t();
    return tasks.size();
}

bool RunQueue::empty() const {
    std::lock_guard lock(m_mutex);
    return m_tasks.empty();
}

} // namespace waitscope::app
