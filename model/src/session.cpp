// Sessions: ordered snapshots sharing unchanged objects; loading a lab run directory.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include <waitscope/base/files.hpp>
#include <waitscope/model/session.hpp>

namespace fs = std::filesystem;

namespace waitscope::model {

std::size_t Session::heapBytes() const {
    std::size_t bytes = 0;
    const Snapshot* prev = nullptr;
    for (const SessionEntry& e : m_entries) {
        // Objects shared with the previous snapshot were counted there; objects shared with
        // an older one only (A B A) are counted again: an upper bound.
        bytes += e.snapshot->heapBytes(prev);
        prev = e.snapshot.get();
    }
    return bytes;
}

std::vector<fs::path> sessionFiles(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    fs::path run = dir / "run.json";
    if (fs::exists(run, ec)) {
        try {
            auto j = nlohmann::json::parse(base::readFile(run));
            for (const auto& m : j.value("marks", nlohmann::json::array())) {
                std::string name = m.value("name", "");
                for (const char* ext : {".json", ".cbor"}) {
                    fs::path p = dir / (name + ext);
                    if (!name.empty() && fs::exists(p, ec)) {
                        files.push_back(p);
                        break;
                    }
                }
            }
        } catch (const std::exception&) {
            files.clear(); // fall back to the directory listing
        }
        if (!files.empty())
            return files;
    }
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        auto ext = e.path().extension();
        auto name = e.path().filename();
        // run.json and the timeline's events.json (`lab run --events`) are not snapshots.
        if ((ext == ".json" || ext == ".cbor") && name != "run.json" && name != "events.json")
            files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

Result<Session> loadSession(const std::vector<fs::path>& files, const LoadOptions& options) {
    Session session;
    for (const fs::path& f : files) {
        LoadOptions o = options;
        o.shareWith = session.last() ? session.last() : options.shareWith;
        auto r = loadSnapshotFile(f, o);
        if (!r)
            return r.error();
        std::string name(r.value()->captureMark());
        if (name.empty())
            name = f.stem().string();
        session.append({r.value(), name, f});
    }
    return session;
}

} // namespace waitscope::model
