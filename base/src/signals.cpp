#include <signal.h>

#include <atomic>

#include <waitscope/base/signals.hpp>

namespace waitscope::base {

namespace {
std::atomic<int> g_stopSignal{0};

void onSignal(int sig) {
    g_stopSignal.store(sig);
}
} // namespace

void installStopSignals() {
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        ::sigaction(sig, &sa, nullptr);
}

int stopRequested() {
    return g_stopSignal.load();
}

} // namespace waitscope::base
