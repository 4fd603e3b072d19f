// bench_layered: times `waitscope layout` in-process on one DOT file (parse, layered layout,
// Graphviz plain output) and prints the engine's figures; bench/layered3k.sh and
// bench/layered10k.sh compare it with dot and with a one-pass reference.
//   bench_layered FILE.dot OUT.plain [--runs R] [--sweeps N] [--no-transpose] [--no-sift]
//   bench_layered --synthetic NODES EDGES OUT.dot   (writes a random layered digraph)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/layouts/dot.hpp>
#include <waitscope/layouts/export.hpp>
#include <waitscope/layouts/layered.hpp>

using namespace waitscope;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

/// A random digraph shaped like epoll's: 8 kinds in layers, edges mostly one or two kinds
/// down, 1% back edges. SplitMix64, so the same on every machine.
std::string synthetic(unsigned nodes, unsigned edges) {
    std::uint64_t s = 1;
    auto next = [&s] {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    auto below = [&](unsigned n) { return static_cast<unsigned>(next() % n); };
    const unsigned kinds = 8;
    std::string dot = "digraph synthetic {\n";
    for (unsigned v = 0; v < nodes; ++v)
        dot += "  n" + std::to_string(v) + ";\n";
    auto kindStart = [&](unsigned k) { return static_cast<unsigned>(1ull * nodes * k / kinds); };
    for (unsigned e = 0; e < edges; ++e) {
        unsigned k = below(kinds - 1);
        unsigned step = 1 + (below(4) == 0) + (below(8) == 0);
        unsigned k2 = std::min(kinds - 1, k + step);
        unsigned a = kindStart(k) + below(kindStart(k + 1) - kindStart(k));
        unsigned b = kindStart(k2) + below(kindStart(k2 + 1) - kindStart(k2));
        if (below(100) == 0)
            std::swap(a, b);
        dot += "  n" + std::to_string(a) + " -> n" + std::to_string(b) + ";\n";
    }
    return dot + "}\n";
}

} // namespace

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        if (args.size() == 4 && args[0] == "--synthetic") {
            base::writeFileAtomic(args[3], synthetic(std::stoul(args[1]), std::stoul(args[2])));
            return 0;
        }
        if (args.size() < 2) {
            std::fprintf(stderr, "usage: bench_layered FILE.dot OUT.plain [--runs R] [--sweeps N] "
                                 "[--no-transpose] [--no-sift]\n");
            return 2;
        }
        layouts::LayeredOptions o;
        int runs = 3;
        for (std::size_t i = 2; i < args.size(); ++i) {
            if (args[i] == "--runs" && i + 1 < args.size())
                runs = std::stoi(args[++i]);
            else if (args[i] == "--sweeps" && i + 1 < args.size())
                o.orderSweeps = static_cast<std::uint32_t>(std::stoul(args[++i]));
            else if (args[i] == "--no-transpose")
                o.transpose = false;
            else if (args[i] == "--no-sift")
                o.siftWork = 0;
        }
        std::string text = base::readFile(args[0]);
        std::vector<double> total, parse, layout, write, cpu;
        layouts::LayoutResult r;
        std::string plain;
        layouts::LabelledGraph g;
        for (int run = 0; run < runs; ++run) {
            std::clock_t c0 = std::clock();
            auto t0 = Clock::now();
            layouts::DotParse p = layouts::parseDot(text);
            if (!p.ok())
                throw base::Error(args[0] + ": " + p.error);
            auto t1 = Clock::now();
            r = layouts::layoutLayered(p.graph.graph, o);
            auto t2 = Clock::now();
            plain = layouts::writePlain(p.graph, r);
            auto t3 = Clock::now();
            total.push_back(ms(t0, t3));
            cpu.push_back(1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
            parse.push_back(ms(t0, t1));
            layout.push_back(ms(t1, t2));
            write.push_back(ms(t2, t3));
            g = std::move(p.graph);
        }
        base::writeFileAtomic(args[1], plain);
        auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
        };
        std::printf("  %u nodes, %zu edges; median of %d runs: parse %.1f ms, layout %.1f ms, "
                    "plain %.1f ms, total %.1f ms wall (%.1f ms CPU)\n",
                    g.graph.nodeCount(), g.graph.edges.size(), runs, median(parse), median(layout),
                    median(write), median(total), median(cpu));
        std::printf("  phases (last run):");
        for (const auto& t : r.timings)
            std::printf(" %s %.1f", t.name, t.ms);
        std::printf("\n  figures:");
        for (const auto& s : r.stats)
            std::printf(" %s %.0f", s.name, s.value);
        std::printf("\n");
        std::printf("ms=%.1f layout_ms=%.1f crossings=%.0f\n", median(total), median(layout),
                    r.stat("crossings"));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_layered: %s\n", e.what());
        return 1;
    }
}
