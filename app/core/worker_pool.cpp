#include "worker_pool.hpp"

#include <algorithm>

namespace waitscope::app {

WorkerPool::WorkerPool(unsigned threads, std::function<void()> wake) : m_wake(std::move(wake)) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i)
        m_threads.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        for (auto& [job, fn] : m_queue)
            job->cancel();
        for (auto& job : m_jobs)
            job->cancel();
    }
    m_cv.notify_all();
    for (auto& t : m_threads)
        t.join();
}

JobPtr WorkerPool::submit(std::string label, std::function<void(Job&)> work) {
    auto job = std::make_shared<Job>(std::move(label));
    {
        std::lock_guard lock(m_mutex);
        m_queue.emplace_back(job, std::move(work));
        m_jobs.push_back(job);
    }
    m_cv.notify_one();
    return job;
}

std::vector<JobPtr> WorkerPool::active() {
    std::lock_guard lock(m_mutex);
    std::erase_if(m_jobs, [](const JobPtr& j) { return j->done(); });
    return m_jobs;
}

bool WorkerPool::idle() const {
    std::lock_guard lock(m_mutex);
    return m_queue.empty() && m_running == 0;
}

void WorkerPool::waitIdle() {
    std::unique_lock lock(m_mutex);
    m_idleCv.wait(lock, [this] { return m_queue.empty() && m_running == 0; });
}

void WorkerPool::run() {
    for (;;) {
        std::pair<JobPtr, std::function<void(Job&)>> item;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (m_stop)
                return;
            item = std::move(m_queue.front());
            m_queue.pop_front();
            ++m_running;
        }
        if (!item.first->cancelled())
            item.second(*item.first);
        item.first->m_done.store(true);
        // Wake the UI before the pool can look idle: whoever waits for idle
        // has seen every wake of the jobs that finished.
        if (m_wake)
            m_wake();
        {
            std::lock_guard lock(m_mutex);
            --m_running;
        }
        m_idleCv.notify_all();
    }
}

} // namespace waitscope::app
