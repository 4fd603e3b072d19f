// Worker -> UI thread hand-off (Tracy's RunQueue): workers post closures, the UI thread runs
// them at the start of the next frame; posting wakes a sleeping UI.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

namespace waitscope::app {

class RunQueue {
public:
    /// `wake` is called after every post (glfwPostEmptyEvent in the app; thread-safe).
    explicit RunQueue(std::function<void()> wake = {}) : m_wake(std::move(wake)) {}
    void setWake(std::function<void()> wake);
    /// Queue `task` for the UI thread. Thread-safe.
    void post(std::function<void()> task);
    /// Run everything queued so far (UI thread). Returns how many ran.
    std::size_t drain();
    /// Nothing queued.
    [[nodiscard]] bool empty() const;

private:
    mutable std::mutex m_mutex;
    std::vector<std::function<void()>> m_tasks;
    std::function<void()> m_wake;
};

} // namespace waitscope::app
