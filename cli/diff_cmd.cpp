// `waitscope diff A B [--format text|json]`: what changed between two snapshots, headless.
#include <cstdio>

#include <waitscope/model/diff.hpp>
#include <waitscope/model/snapshot_io.hpp>

#include "commands.hpp"

namespace waitscope::cli {

namespace {

int runDiff(const std::string& before, const std::string& after, const std::string& format,
            bool exitCode) {
    auto a = model::loadSnapshotFile(before);
    if (!a) {
        std::fprintf(stderr, "waitscope diff: %s\n", a.error().message.c_str());
        return 2;
    }
    model::LoadOptions share;
    share.shareWith = a.value().get();
    auto b = model::loadSnapshotFile(after, share);
    if (!b) {
        std::fprintf(stderr, "waitscope diff: %s\n", b.error().message.c_str());
        return 2;
    }
    model::SnapshotDiff d = model::diffSnapshots(*a.value(), *b.value());
    std::string out =
        format == "json" ? model::diffToJson(d) : model::diffToText(d, *a.value(), *b.value());
    std::fwrite(out.data(), 1, out.size(), stdout);
    return exitCode && !d.empty() ? 1 : 0;
}

} // namespace

void addDiffCommand(CLI::App& app, int& status) {
    static std::string before, after, format = "text";
    static bool exitCode = false;
    auto* cmd = app.add_subcommand("diff", "Print what changed between two snapshots "
                                           "(added, removed and changed objects and fields)");
    cmd->add_option("A", before, "The earlier snapshot (JSON or CBOR)")->required();
    cmd->add_option("B", after, "The later snapshot")->required();
    cmd->add_option("--format", format,
                    "text (default) or json: {\"added\", \"removed\", "
                    "\"changed\": [{\"id\", \"fields\"}]}")
        ->check(CLI::IsMember({"text", "json"}));
    cmd->add_flag("--exit-code", exitCode, "Exit with 1 when the snapshots differ (like diff)");
    cmd->callback([&status] { status = runDiff(before, after, format, exitCode); });
}

} // namespace waitscope::cli
