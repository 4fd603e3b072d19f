// Session files: a session of the golden lab snapshots (setup, consumed, setup again: a
// change, and a change back) written and read back identically, unchanged objects shared on
// load, the events and run.json kept verbatim, and bad files refused with a clear error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <waitscope/base/files.hpp>
#include <waitscope/model/session_file.hpp>
#include <waitscope/model/snapshot_io.hpp>

using namespace waitscope::model;
namespace fs = std::filesystem;

namespace {

const fs::path Fixtures = WAITSCOPE_FIXTURES;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("ws-session-" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

SessionFile goldenSession() {
    auto dir = Fixtures / "snapshots";
    auto r = loadSession({dir / "topo_basic-setup.json", dir / "topo_basic-consumed.json",
                          dir / "topo_basic-setup.json", dir / "topo_workq-held.json"});
    if (!r)
        throw std::runtime_error(r.error().message);
    return {std::move(r.value()), R"({"traceEvents": []})", R"({"marks": []})"};
}

} // namespace

TEST(SessionFile, RoundTripIsIdenticalAndShares) {
    TempDir tmp;
    SessionFile in = goldenSession();
    auto st = writeSessionFile(tmp.path / "s.wss", in);
    EXPECT_EQ(st.fullObjects, in.session[0].snapshot->size());
    EXPECT_GT(st.deltaObjects, 0u);
    EXPECT_GT(st.removed, 0u); // workq drops topo_basic's objects
    auto r = loadSessionFile(tmp.path / "s.wss");
    ASSERT_TRUE(r) << r.error().message;
    const Session& out = r->session;
    ASSERT_EQ(out.size(), in.session.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(out[i].name, in.session[i].name);
        EXPECT_EQ(toJson(*out[i].snapshot), toJson(*in.session[i].snapshot)) << "entry " << i;
    }
    // Unchanged objects are the same objects in memory, as in loadSession().
    EXPECT_EQ(out[1].snapshot->sharedWith(*out[0].snapshot),
              in.session[1].snapshot->sharedWith(*in.session[0].snapshot));
    EXPECT_GT(out[1].snapshot->sharedWith(*out[0].snapshot), out[1].snapshot->size() / 2);
    EXPECT_EQ(r->events, in.events);
    EXPECT_EQ(r->run, in.run);
    // The meta of a delta entry does not keep the writer's bookkeeping.
    EXPECT_FALSE(out[1].snapshot->meta().root().member("session_removed").exists());
}

TEST(SessionFile, BadFilesAreClearErrors) {
    TempDir tmp;
    writeSessionFile(tmp.path / "s.wss", goldenSession());
    std::string bytes = waitscope::base::readFile(tmp.path / "s.wss");
    auto check = [&](const std::string& name, const std::string& data, ErrorKind kind,
                     const std::string& words) {
        waitscope::base::writeFileAtomic(tmp.path / name, data);
        auto r = loadSessionFile(tmp.path / name);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().kind, kind) << name << ": " << r.error().message;
        EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
    };
    for (std::size_t cut : {std::size_t(25), bytes.size() / 2, bytes.size() - 3})
        check("cut.wss", bytes.substr(0, cut), ErrorKind::Structure, "");
    check("json.wss", "{\"schema\": \"waitscope.snapshot/1\"}", ErrorKind::NotASnapshot,
          "not a waitscope session file");
    check("newer.wss", "waitscope.session/2\nend 0\n", ErrorKind::NewerSchema, "newer");
    check("delta.wss", "waitscope.session/1\ndelta 2 x\n{}\nend 1\n", ErrorKind::Structure,
          "delta before");
    std::string huge = "waitscope.session/1\nfull 99999999999 x\n";
    check("len.wss", huge, ErrorKind::Structure, "past the end");
    auto missing = loadSessionFile(tmp.path / "none.wss");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::Io);
}

TEST(SessionFile, EmptyAndUnknownSections) {
    TempDir tmp;
    waitscope::base::writeFileAtomic(tmp.path / "e.wss",
                                     "waitscope.session/1\nfuture 3 x\nabc\nend 0\n");
    auto r = loadSessionFile(tmp.path / "e.wss");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->session.empty());
}

TEST(SessionFiles, ADirectoryListingSkipsRunAndEventsFiles) {
    fs::path dir = fs::temp_directory_path() / ("ws-session-files-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const char* f : {"b.json", "a.cbor", "run.json", "events.json", "notes.txt"})
        waitscope::base::writeFileAtomic(dir / f, "{}");
    // run.json without marks: the listing, by name, without run.json and events.json
    // (`lab run --events` of a program with no marks leaves just those two).
    EXPECT_EQ(sessionFiles(dir), (std::vector<fs::path>{dir / "a.cbor", dir / "b.json"}));
    fs::remove_all(dir);
}
