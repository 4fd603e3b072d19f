// The worker pool for long work off the UI thread (snapshot loading, scene queries and
// layouts, filtering, exports): each job reports progress, can be cancelled, and publishes
// its result to the UI thread through the RunQueue.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace waitscope::app {

/// A unit of background work as the UI sees it.
class Job {
public:
    explicit Job(std::string label) : m_label(std::move(label)) {}
    [[nodiscard]] const std::string& label() const { return m_label; }
    /// 0..1, or negative when unknown.
    [[nodiscard]] double progress() const { return m_progress.load(std::memory_order_relaxed); }
    void setProgress(double p) { m_progress.store(p, std::memory_order_relaxed); }
    void cancel() { m_cancel.store(true); }
    [[nodiscard]] bool cancelled() const { return m_cancel.load(std::memory_order_relaxed); }
    /// For APIs that poll a flag (model::LoadOptions::cancel).
    [[nodiscard]] const std::atomic<bool>* cancelFlag() const { return &m_cancel; }
    [[nodiscard]] bool done() const { return m_done.load(); }
    /// Cancellable jobs show a Cancel button.
    bool cancellable = true;

private:
    friend class WorkerPool;
    std::string m_label;
    std::atomic<double> m_progress{-1.0};
    std::atomic<bool> m_cancel{false};
    std::atomic<bool> m_done{false};
};

using JobPtr = std::shared_ptr<Job>;

class WorkerPool {
public:
    /// `threads` workers; `wake` runs when a job finishes (to redraw the progress display).
    WorkerPool(unsigned threads, std::function<void()> wake);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queue `work`; it runs on a worker with its Job. Thread-safe.
    JobPtr submit(std::string label, std::function<void(Job&)> work);
    /// Jobs queued or running (UI thread; finished jobs are dropped here).
    [[nodiscard]] std::vector<JobPtr> active();
    /// No job queued or running.
    [[nodiscard]] bool idle() const;
    /// Block until idle (tests, shutdown).
    void waitIdle();

private:
    void run();
    std::vector<std::thread> m_threads;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv, m_idleCv;
    std::deque<std::pair<JobPtr, std::function<void(Job&)>>> m_queue;
    std::vector<JobPtr> m_jobs;
    unsigned m_running = 0;
    bool m_stop = false;
    std::function<void()> m_wake;
};

} // namespace waitscope::app
