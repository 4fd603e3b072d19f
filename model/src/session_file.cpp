// Session files: a magic line, then sections "<tag> <bytes> <name>\n<payload>\n".
#include <charconv>
#include <cstdio>
#include <set>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/model/session_file.hpp>
#include <waitscope/model/snapshot_io.hpp>

namespace fs = std::filesystem;

namespace waitscope::model {

namespace {

constexpr std::string_view RemovedKey = "session_removed";
constexpr std::size_t MaxSections = 1u << 20;

std::string cleanName(std::string_view name) {
    std::string out;
    for (char c : name)
        out.push_back(c == '\n' || c == '\r' ? '_' : c);
    return out.empty() ? "-" : out;
}

void section(std::string& out, std::string_view tag, std::string_view name,
             std::string_view payload) {
    out += tag;
    out += ' ';
    out += std::to_string(payload.size());
    out += ' ';
    out += cleanName(name);
    out += '\n';
    out += payload;
    out += '\n';
}

/// `meta` with the member `session_removed` = ids added (writing) or dropped (reading).
std::shared_ptr<const Record> withRemoved(const Record& meta, const std::vector<ObjectId>* ids) {
    RecordBuilder b;
    b.beginObject(Key::None);
    Key removedKey = internKey(RemovedKey);
    for (Field f : meta.root().children())
        if (f.key() != removedKey)
            b.addCopy(f.key(), f);
    if (ids) {
        b.beginArray(removedKey);
        for (ObjectId id : *ids)
            b.addRef(Key::None, id);
        b.end();
    }
    b.end();
    return std::make_shared<const Record>(b.finish());
}

Error structure(const fs::path& path, const std::string& what) {
    return {ErrorKind::Structure, path.string() + ": " + what};
}

} // namespace

bool isSessionFile(std::string_view head) {
    return head.substr(0, SessionMagic.size()) == SessionMagic;
}

SessionWriteStats writeSessionFile(const fs::path& path, const SessionFile& file) {
    SessionWriteStats st;
    std::string out(SessionMagic);
    out += '\n';
    const Snapshot* prev = nullptr;
    for (const SessionEntry& e : file.session.entries()) {
        const Snapshot& s = *e.snapshot;
        if (!prev) {
            section(out, "full", e.name, toCbor(s));
            st.fullObjects += s.size();
        } else {
            std::vector<ObjectPtr> changed;
            for (const ObjectPtr& o : s.objects()) {
                const Object* old = prev->find(o->id());
                if (old != o.get() && (!old || !old->fields().sameContent(o->fields())))
                    changed.push_back(o);
            }
            std::vector<ObjectId> removed;
            for (const ObjectPtr& o : prev->objects())
                if (!s.find(o->id()))
                    removed.push_back(o->id());
            st.deltaObjects += changed.size();
            st.removed += removed.size();
            Snapshot delta(std::move(changed), withRemoved(s.meta(), &removed), s.version());
            section(out, "delta", e.name, toCbor(delta));
        }
        prev = &s;
    }
    if (!file.events.empty())
        section(out, "events", "events.json", file.events);
    if (!file.run.empty())
        section(out, "run", "run.json", file.run);
    out += "end " + std::to_string(file.session.size()) + "\n";
    st.bytes = out.size();
    base::writeFileAtomic(path, out);
    return st;
}

Result<SessionFile> loadSessionFile(const fs::path& path, const LoadOptions& options) {
    std::string bytes;
    try {
        bytes = base::readFile(path);
    } catch (const std::exception& e) {
        return Error{ErrorKind::Io, e.what()};
    }
    std::string_view in(bytes);
    if (!isSessionFile(in) || in.size() <= SessionMagic.size() || in[SessionMagic.size()] != '\n') {
        if (in.substr(0, 18) == "waitscope.session/")
            return Error{ErrorKind::NewerSchema,
                         path.string() + ": " + std::string(in.substr(0, in.find('\n'))) +
                             " is newer than this build reads (" + std::string(SessionMagic) + ")"};
        return Error{ErrorKind::NotASnapshot, path.string() +
                                                  ": not a waitscope session file (no " +
                                                  std::string(SessionMagic) + " line)"};
    }
    std::size_t pos = SessionMagic.size() + 1;
    SessionFile file;
    bool ended = false;
    for (std::size_t n = 0; n < MaxSections && pos < in.size(); ++n) {
        std::size_t eol = in.find('\n', pos);
        if (eol == std::string_view::npos)
            return structure(path, "truncated section header at byte " + std::to_string(pos));
        std::string_view header = in.substr(pos, eol - pos);
        pos = eol + 1;
        std::size_t sp1 = header.find(' ');
        std::string_view tag = header.substr(0, sp1);
        if (tag == "end") {
            ended = true;
            break;
        }
        std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : header.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos)
            return structure(path,
                             "bad section header '" + std::string(header.substr(0, 40)) + "'");
        std::size_t len = 0;
        auto lenText = header.substr(sp1 + 1, sp2 - sp1 - 1);
        auto [p, ec] = std::from_chars(lenText.data(), lenText.data() + lenText.size(), len);
        if (ec != std::errc() || p != lenText.data() + lenText.size() || len > in.size() - pos ||
            pos + len >= in.size() || in[pos + len] != '\n')
            return structure(path, "section '" + std::string(header.substr(0, 40)) +
                                       "' runs past the end of the file");
        std::string name(header.substr(sp2 + 1));
        std::string_view payload = in.substr(pos, len);
        pos += len + 1;
        if (options.cancel && options.cancel->load())
            return Error{ErrorKind::Cancelled, "cancelled"};
        if (tag == "events") {
            file.events = payload;
        } else if (tag == "run") {
            file.run = payload;
        } else if (tag == "full" || tag == "delta") {
            const Snapshot* prev = file.session.last();
            if (tag == "delta" && !prev)
                return structure(path, "a delta before any full snapshot");
            LoadOptions lo = options;
            lo.shareWith = tag == "full" ? (prev ? prev : options.shareWith) : nullptr;
            lo.progress = nullptr;
            auto r = loadSnapshot(payload, lo);
            if (!r)
                return Error{r.error().kind,
                             path.string() + ": " + name + ": " + r.error().message};
            SnapshotPtr snap = r.value();
            if (tag == "delta") {
                const Snapshot& d = *snap;
                Field removedField = d.meta()[internKey(RemovedKey)];
                auto less = [](ObjectId a, ObjectId b) {
                    return a.kind != b.kind ? a.kind < b.kind : a.kaddr < b.kaddr;
                };
                std::set<ObjectId, decltype(less)> drop(less);
                for (ObjectId id : removedField.refs())
                    drop.insert(id);
                std::vector<ObjectPtr> objects;
                objects.reserve(prev->size() + d.size());
                for (const ObjectPtr& o : prev->objects())
                    if (!d.find(o->id()) && !drop.count(o->id()))
                        objects.push_back(o); // unchanged: shared with the previous one
                for (const ObjectPtr& o : d.objects())
                    objects.push_back(o);
                snap = std::make_shared<const Snapshot>(
                    std::move(objects), withRemoved(d.meta(), nullptr), d.version());
            }
            file.session.append({snap, name, path});
            if (options.progress)
                options.progress(static_cast<double>(pos) / static_cast<double>(in.size()));
        } else {
            // Newer writers may add sections: skip what we do not know.
        }
    }
    if (!ended)
        return structure(path, "truncated (no end line)");
    return file;
}

Result<SessionFile> sessionFromDirectory(const fs::path& dir, const LoadOptions& options) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return Error{ErrorKind::Io, dir.string() + ": not a directory"};
    auto files = sessionFiles(dir);
    if (files.empty())
        return Error{ErrorKind::Structure, dir.string() + ": no snapshots (*.json, *.cbor)"};
    auto r = loadSession(files, options);
    if (!r)
        return r.error();
    SessionFile file{std::move(r.value()), {}, {}};
    try {
        if (fs::exists(dir / "events.json", ec))
            file.events = base::readFile(dir / "events.json");
        if (fs::exists(dir / "run.json", ec))
            file.run = base::readFile(dir / "run.json");
    } catch (const std::exception& e) {
        return Error{ErrorKind::Io, e.what()};
    }
    return file;
}

} // namespace waitscope::model
