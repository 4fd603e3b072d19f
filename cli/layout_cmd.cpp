// `waitscope layout FILE.dot`: lay out any DOT digraph with our engines and write Graphviz
// plain, SVG or JSON.
#include <cstdio>
#include <iostream>
#include <iterator>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/layouts/dot.hpp>
#include <waitscope/layouts/export.hpp>
#include <waitscope/layouts/layered.hpp>
#include <waitscope/layouts/ring.hpp>
#include <waitscope/layouts/tree.hpp>

#include "commands.hpp"

namespace waitscope::cli {

namespace {

struct LayoutFlags {
    std::string input;
    std::string engine = "layered";
    std::string format = "plain";
    std::string out = "-";
    bool stats = false;
};

int runLayout(const LayoutFlags& f) {
    std::string text;
    if (f.input == "-")
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    else
        text = base::readFile(f.input);
    layouts::DotParse parsed = layouts::parseDot(text);
    if (!parsed.ok())
        throw base::Error(f.input + ": " + parsed.error);
    const layouts::LabelledGraph& g = parsed.graph;
    layouts::LayoutResult r;
    if (f.engine == "tree")
        r = layouts::layoutTree(g.graph);
    else if (f.engine == "ring")
        r = layouts::layoutRing(g.graph);
    else
        r = layouts::layoutLayered(g.graph);
    std::string out = f.format == "svg"    ? layouts::writeSvg(g, r)
                      : f.format == "json" ? layouts::writeJson(g, r)
                                           : layouts::writePlain(g, r);
    if (f.out == "-") {
        if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout))
            throw base::systemError("writing the layout to stdout");
    } else {
        base::writeFileAtomic(f.out, out);
    }
    if (f.stats) {
        std::fprintf(stderr, "layout: %s engine, %u nodes, %zu edges", f.engine.c_str(),
                     g.graph.nodeCount(), g.graph.edges.size());
        for (const layouts::LayoutStat& s : r.stats)
            std::fprintf(stderr, ", %s %.0f", s.name, s.value);
        std::fprintf(stderr, "\nlayout: %.1f ms:", r.totalMs());
        for (const layouts::PhaseTiming& t : r.timings)
            std::fprintf(stderr, " %s %.1f", t.name, t.ms);
        std::fprintf(stderr, "\n");
    }
    return 0;
}

} // namespace

void addLayoutCommands(CLI::App& app, int& status) {
    static LayoutFlags flags;
    auto* cmd = app.add_subcommand(
        "layout", "Lay out a DOT digraph with waitscope's engines (to compare with dot, or to "
                  "re-lay out an exported graph)");
    cmd->add_option("file", flags.input, "DOT file to read ('-' for stdin)")->required();
    cmd->add_option("--engine", flags.engine,
                    "layered (Sugiyama, top to bottom), tree (tidy tree of a breadth-first "
                    "spanning forest) or ring (circle, clockwise from the first node along "
                    "out-edges)")
        ->check(CLI::IsMember({"layered", "tree", "ring"}))
        ->capture_default_str();
    cmd->add_option("--format", flags.format,
                    "plain (Graphviz -Tplain: inches, y up, edges as 3k+1 Bezier control "
                    "points), svg, or json (points, y down)")
        ->check(CLI::IsMember({"plain", "svg", "json"}))
        ->capture_default_str();
    cmd->add_option("--out", flags.out, "Output file ('-' for stdout)")->capture_default_str();
    cmd->add_flag("--stats", flags.stats, "Print engine figures and phase times to stderr");
    cmd->callback([&status] {
        try {
            status = runLayout(flags);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "waitscope layout: %s\n", e.what());
            status = 1;
        }
    });
}

} // namespace waitscope::cli
