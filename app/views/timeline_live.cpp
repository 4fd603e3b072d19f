// The Timeline view's live toolbar, seq facts and export.
#include "timeline_live.hpp"

#include <imgui.h>

#include <algorithm>
#include <cinttypes>

#include <waitscope/base/files.hpp>
#include <waitscope/timeline/io.hpp>

#include "../core/app.hpp"

namespace waitscope::app {

namespace tl = timeline;

bool drawLiveBar(const std::string& vm, const LiveStatus& l, bool& follow) {
    ImGui::Text("Live: lab VM %s, %s | %" PRIu64 " captured, %" PRIu64
                " dropped, %.0f events/s | ring of %u",
                vm.c_str(), toString(l.state), l.captured, l.dropped, l.eventsPerSec, l.capacity);
    if (!l.message.empty()) {
        ImGui::SameLine();
        ImGui::TextDisabled("(%s)", l.message.c_str());
    }
    ImGui::SameLine();
    bool turnedOn = ImGui::Checkbox("Follow", &follow) && follow;
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Keep the newest events in view (panning or zooming stops it)");
    return turnedOn;
}

std::string seqFacts(const tl::EventStore& store) {
    std::vector<std::uint32_t> seqs;
    seqs.reserve(store.size());
    for (const tl::Event& e : store.all())
        seqs.push_back(e.seq);
    std::sort(seqs.begin(), seqs.end());
    std::uint64_t gaps = 0;
    for (std::size_t i = 1; i < seqs.size(); ++i)
        if (seqs[i] != seqs[i - 1])
            gaps += seqs[i] - seqs[i - 1] - 1;
    std::size_t distinct =
        static_cast<std::size_t>(std::unique(seqs.begin(), seqs.end()) - seqs.begin());
    return " timeline_dropped=" + std::to_string(store.dropped()) +
           " timeline_seq_first=" + (seqs.empty() ? "none" : std::to_string(seqs.front())) +
           " timeline_seq_last=" + (seqs.empty() ? "none" : std::to_string(seqs[distinct - 1])) +
           " timeline_seq_gaps=" + std::to_string(gaps) +
           " timeline_seq_dups=" + std::to_string(store.size() - distinct);
}

JobPtr exportTimeline(App& app, TimelinePtr data, const std::string& path) {
    App* appPtr = &app; // outlives the pool's jobs (it joins them first)
    std::string kernel;
    if (auto snap = app.snapshot())
        kernel = std::string(snap->kernelRelease());
    return app.workers().submit("Exporting the timeline", [=](Job&) {
        std::string error;
        try {
            base::writeFileAtomic(path, tl::toChromeJson(data->store, {data->origin, kernel}));
        } catch (const std::exception& e) { // I/O, bad_alloc: said, not fatal
            error = e.what();
        }
        appPtr->runQueue().post([appPtr, path, error, n = data->store.size()] {
            if (error.empty())
                appPtr->log(LogLine::Info, "exported " + std::to_string(n) + " events to " + path);
            else
                appPtr->log(LogLine::Error, "timeline export: " + error);
        });
    });
}

} // namespace waitscope::app
