// Target loading on workers.
#include "file_source.hpp"

#include <cstdlib>
#include <fstream>

#include <waitscope/base/files.hpp>
#include <waitscope/model/session_file.hpp>

#include "embedded_demo.hpp"

namespace fs = std::filesystem;

namespace waitscope::app {

TargetKind classifyTarget(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        return TargetKind::Missing;
    if (fs::is_directory(path, ec))
        return TargetKind::SessionDir;
    std::ifstream in(path, std::ios::binary);
    char head[24] = {};
    in.read(head, sizeof head);
    std::string_view h(head, static_cast<std::size_t>(in.gcount()));
    if (h.substr(0, 4) == "\x7f"
                          "ELF" ||
        h.substr(0, 8) == "KDUMP   " || h.substr(0, 8) == "makedump")
        return TargetKind::Vmcore;
    if (model::isSessionFile(h) || h.substr(0, 18) == "waitscope.session/")
        return TargetKind::SessionFile;
    h = h.substr(0, 8);
    std::size_t i = 0;
    while (i < h.size() && (h[i] == ' ' || h[i] == '\n' || h[i] == '\r' || h[i] == '\t'))
        ++i;
    if ((i < h.size() && h[i] == '{') || model::detectFormat(h) == model::Format::Cbor)
        return TargetKind::Snapshot;
    return TargetKind::Unknown;
}

JobPtr loadTarget(WorkerPool& pool, RunQueue& queue, const fs::path& path, SessionCallback done,
                  std::function<void(fs::path)> onVmcore) {
    return pool.submit(
        "Opening " + path.filename().string(), [&queue, path, done, onVmcore](Job& job) {
            if (classifyTarget(path) == TargetKind::Vmcore) {
                queue.post([onVmcore, path] { onVmcore(path); });
                return;
            }
            model::LoadOptions o;
            o.cancel = job.cancelFlag();
            o.progress = [&job](double f) { job.setProgress(f); };
            auto result = [&]() -> model::Result<model::Session> {
                switch (classifyTarget(path)) {
                case TargetKind::Missing:
                    return model::Error{model::ErrorKind::Io, path.string() + ": no such file"};
                case TargetKind::SessionDir: {
                    auto files = model::sessionFiles(path);
                    if (files.empty())
                        return model::Error{model::ErrorKind::Io,
                                            path.string() + ": no snapshots (*.json, *.cbor) here"};
                    return model::loadSession(files, o);
                }
                case TargetKind::SessionFile: {
                    // The events and run.json it holds are not shown here (yet).
                    auto r = model::loadSessionFile(path, o);
                    if (!r)
                        return r.error();
                    return std::move(r->session);
                }
                case TargetKind::Vmcore: // handled above
                case TargetKind::Snapshot:
                    return model::loadSession({path}, o);
                case TargetKind::Unknown:
                    break;
                }
                return model::Error{model::ErrorKind::NotASnapshot,
                                    path.string() + ": neither a snapshot nor a vmcore"};
            }();
            queue.post([done, r = std::move(result)]() mutable { done(std::move(r)); });
        });
}

fs::path findDemo() {
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("WAITSCOPE_DEMO"); env && *env)
        candidates.emplace_back(env);
#ifdef WAITSCOPE_SOURCE_ASSETS
    candidates.push_back(fs::path(WAITSCOPE_SOURCE_ASSETS) / "demo");
#endif
    candidates.push_back(base::executableDir() / ".." / "share" / "waitscope" / "demo");
    std::error_code ec;
    for (const fs::path& c : candidates)
        if (fs::is_directory(c, ec) && !model::sessionFiles(c).empty())
            return fs::weakly_canonical(c, ec);
    return {};
}

JobPtr loadDemo(WorkerPool& pool, RunQueue& queue, SessionCallback done) {
    fs::path dir = findDemo();
    if (!dir.empty())
        return loadTarget(pool, queue, dir, std::move(done), [](fs::path) {});
    return pool.submit("Opening the embedded demo", [&queue, done](Job& job) {
        model::Session session;
        std::optional<model::Error> error;
        const auto files = embeddedDemo();
        if (files.empty())
            error = model::Error{model::ErrorKind::Io,
                                 "this build has no bundled demo (assets/demo was empty when it "
                                 "was built; see tools/make-demo.sh)"};
        for (std::size_t i = 0; i < files.size() && !error; ++i) {
            model::LoadOptions o;
            o.cancel = job.cancelFlag();
            o.shareWith = session.last();
            auto r = model::loadSnapshot(files[i].bytes, o);
            if (!r) {
                error = model::Error{r.error().kind, files[i].name + ": " + r.error().message};
                break;
            }
            std::string name(r.value()->captureMark());
            session.append({r.value(), name.empty() ? files[i].name : name,
                            fs::path("embedded:") / files[i].name});
            job.setProgress(static_cast<double>(i + 1) / static_cast<double>(files.size()));
        }
        model::Result<model::Session> result =
            error ? model::Result<model::Session>(*error) : model::Result<model::Session>(session);
        queue.post([done, r = std::move(result)]() mutable { done(std::move(r)); });
    });
}

} // namespace waitscope::app
