// session_steps: the memory of a long session, for bench/session1000.sh.
//
//   ws_session_steps make SNAPSHOT OUT.wss [STEPS=1000] [PER_STEP=4]
//   ws_session_steps load FILE.wss
//
// make: from a real snapshot, STEPS snapshots that each toggle PER_STEP epitems' on_ready
// and update their eventpolls' ready lists (what a step of a busy program does), appended to
// a session sharing everything else; written as a session file. Prints the heap bytes the
// session would take without sharing (every snapshot's objects counted in full).
// load: read the session file in a fresh process; prints its peak RSS (VmHWM).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include <waitscope/model/session_file.hpp>
#include <waitscope/model/snapshot_io.hpp>

using namespace waitscope::model;

namespace {

long procStatusKb(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0)
            return std::atol(line.c_str() + std::string(field).size());
    return -1;
}

/// `o`'s fields with `key` replaced by `value` (a bool) or, for arrays, by `refs`.
ObjectPtr rebuilt(const Object& o, Key key, const bool* value, const std::vector<ObjectId>* refs) {
    RecordBuilder b;
    b.beginObject(Key::None);
    for (Field f : o.fields().root().children()) {
        if (f.key() != key) {
            b.addCopy(f.key(), f);
        } else if (value) {
            b.addBool(key, *value);
        } else {
            b.beginArray(key);
            for (ObjectId id : *refs)
                b.addRef(Key::None, id);
            b.end();
        }
    }
    b.end();
    return std::make_shared<const Object>(o.id(), b.finish());
}

int make(const char* input, const char* out, int steps, int perStep) {
    auto base = loadSnapshotFile(input);
    if (!base) {
        std::fprintf(stderr, "session_steps: %s\n", base.error().message.c_str());
        return 2;
    }
    auto epitems = base.value()->objectsOf(Kind::Epitem);
    if (epitems.size() < 2) {
        std::fprintf(stderr, "session_steps: %s has no epitems to step\n", input);
        return 2;
    }
    Session session;
    session.append({base.value(), "base", input});
    std::uint64_t rng = 0x9e3779b97f4a7c15ull;
    std::size_t unshared = base.value()->heapBytes();
    for (int s = 1; s <= steps; ++s) {
        const Snapshot& prev = *session.last();
        std::vector<ObjectPtr> objects(prev.objects().begin(), prev.objects().end());
        std::map<ObjectId, std::vector<ObjectId>, bool (*)(ObjectId, ObjectId)> readyOf(
            [](ObjectId a, ObjectId b) { return compareIdText(a, b) < 0; });
        for (int k = 0; k < perStep; ++k) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            const Object& epi = *prev.objectsOf(Kind::Epitem)[(rng >> 33) % epitems.size()];
            std::int64_t at = prev.indexOf(epi.id());
            const Object& cur = *objects[static_cast<std::size_t>(at)];
            bool ready = !cur[Key::on_ready].asBool();
            objects[static_cast<std::size_t>(at)] = rebuilt(cur, Key::on_ready, &ready, nullptr);
            ObjectId ep = cur[Key::ep].ref();
            std::int64_t epAt = prev.indexOf(ep);
            if (epAt < 0)
                continue;
            auto it = readyOf.find(ep);
            if (it == readyOf.end())
                it = readyOf
                         .emplace(
                             ep,
                             objects[static_cast<std::size_t>(epAt)]->fields()[Key::ready].refs())
                         .first;
            std::erase(it->second, cur.id());
            if (ready)
                it->second.push_back(cur.id());
        }
        for (auto& [ep, list] : readyOf) {
            auto at = static_cast<std::size_t>(prev.indexOf(ep));
            objects[at] = rebuilt(*objects[at], Key::ready, nullptr, &list);
        }
        auto snap =
            std::make_shared<const Snapshot>(std::move(objects), prev.metaShared(), prev.version());
        unshared += snap->heapBytes();
        session.append({snap, "step-" + std::to_string(s), {}});
    }
    auto st = writeSessionFile(out, {session, {}, {}});
    std::printf("made %d steps of %zu objects (%zu epitems), %d epitems toggled per step; "
                "shared heap %zu bytes, unshared %zu bytes; file %zu bytes (%zu objects in "
                "deltas); peak RSS %ld kB\n",
                steps, base.value()->size(), epitems.size(), perStep, session.heapBytes(), unshared,
                st.bytes, st.deltaObjects, procStatusKb("VmHWM:"));
    std::printf("UNSHARED_BYTES %zu\n", unshared);
    return 0;
}

int load(const char* path) {
    long before = procStatusKb("VmRSS:");
    auto r = loadSessionFile(path);
    if (!r) {
        std::fprintf(stderr, "session_steps: %s\n", r.error().message.c_str());
        return 2;
    }
    const Session& s = r->session;
    std::size_t shared = 0;
    for (std::size_t i = 1; i < s.size(); ++i)
        shared += s[i].snapshot->sharedWith(*s[i - 1].snapshot);
    std::printf("loaded %zu snapshots, %zu objects shared with the previous in all, heap %zu "
                "bytes; RSS before %ld kB, peak %ld kB\n",
                s.size(), shared, s.heapBytes(), before, procStatusKb("VmHWM:"));
    std::printf("PEAK_RSS_KB %ld\n", procStatusKb("VmHWM:"));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "make" && argc >= 4)
        return make(argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 1000,
                    argc > 5 ? std::atoi(argv[5]) : 4);
    if (mode == "load" && argc == 3)
        return load(argv[2]);
    std::fprintf(stderr, "usage: ws_session_steps make SNAPSHOT OUT.wss [STEPS] [PER_STEP]\n"
                         "       ws_session_steps load FILE.wss\n");
    return 2;
}
