// Exports (PNG of the canvas, DOT, snapshot JSON) and the script `report` line.
#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/model/snapshot_io.hpp>

#include "../scene/export_dot.hpp"
#include "../scene/export_svg.hpp"
#include "app.hpp"

namespace waitscope::app {

void App::exportCurrent(const std::string& format, const std::filesystem::path& path) {
    if (format == "png") {
        requestCapture({path, false, canvasMin, canvasMax});
        return;
    }
    std::function<std::string()> render;
    if (format == "json") {
        model::SnapshotPtr s = snapshot();
        if (!s) {
            log(LogLine::Error, "export: no snapshot open");
            return;
        }
        render = [s] { return model::toJson(*s); };
    } else if (format == "cbor") {
        model::SnapshotPtr s = snapshot();
        if (!s) {
            log(LogLine::Error, "export: no snapshot open");
            return;
        }
        render = [s] { return model::toCbor(*s); };
    } else if (format == "dot" || format == "svg") {
        ScenePtr scene = currentScene;
        if (!scene) {
            log(LogLine::Error, "export: no scene drawn yet");
            return;
        }
        if (format == "dot")
            render = [scene] { return sceneToDot(*scene); };
        else
            render = [scene] { return sceneToSvg(*scene); };
    } else {
        log(LogLine::Error, "export: unknown format " + format);
        return;
    }
    m_workers->submit("Exporting " + path.filename().string(), [this, render, path](Job&) {
        std::string error;
        try {
            base::writeFileAtomic(path, render());
        } catch (const base::Error& e) {
            error = e.what();
        }
        m_runQueue.post([this, error, path] {
            if (error.empty())
                log(LogLine::Info, "exported " + path.string());
            else
                log(LogLine::Error, "export: " + error);
        });
    });
}

std::string App::report() const {
    std::string out = "REPORT";
    auto s = snapshot();
    out += " snapshot=" + std::to_string(s ? m_current + 1 : 0) + "/" +
           std::to_string(m_session ? m_session->size() : 0);
    if (s) {
        std::string mark = (*m_session)[m_current].name;
        for (char& c : mark)
            if (c == ' ' || c == '=')
                c = '_'; // one token per value
        out += " mark=" + mark;
        out += " objects=" + std::to_string(s->size());
    }
    out +=
        " selection=" + (m_selection.valid() ? model::toString(m_selection) : std::string("none"));
    for (const auto& v : m_views)
        if (v->isOpen())
            v->report(out);
    return out;
}

} // namespace waitscope::app
